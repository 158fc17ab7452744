"""Evaluation of stress-path generators: metrics, method runners and reports."""
