"""What the user sees while a command runs: progress displays and tables."""
