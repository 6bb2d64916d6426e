"""The pipeline: profiles (``configs``), the DAG (``pipeline``), runners, report and CLI."""
