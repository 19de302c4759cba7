"""Tests of storage (storage/): migrations, constraints, functions and records, CSV files."""
