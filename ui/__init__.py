"""The Flask application and the command line, on top of everything else."""
