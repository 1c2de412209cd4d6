"""Returns-fraud model, OOD gate and cost arithmetic in plain Python, with no Django imports."""
