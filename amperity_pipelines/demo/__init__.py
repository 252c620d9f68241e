"""Demo tenant support: a deterministic generator of realistic, messy landing files.

Entry point: `amperity_pipelines.demo.generator.generate_demo_data` (and its `python -m` CLI).
"""
