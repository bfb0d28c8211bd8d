"""Training and held-out evaluation of the bundled models (`kefu train …`, `kefu eval`)."""
