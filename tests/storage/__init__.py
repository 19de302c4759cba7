"""Tests of storage (storage/): migrations, constraints, repositories, CSV files."""
