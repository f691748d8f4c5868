"""The evals harness: rubric sets and cases (data under ``evals/``), scorers, the
runner that sends every case through the one pipeline, the CI gate and reports."""
