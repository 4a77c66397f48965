"""newswire: streaming news ingestion on Kafka and Faust."""

__all__ = ["__version__"]

__version__ = "0.1.0"
