"""The composition root: the `rallybot` command line, the features it serves and the adapters
it runs them on. It sits above everything and is the only place that names them all: the
adapters and the features know nothing of each other, and the core knows neither."""
