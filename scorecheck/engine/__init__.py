"""One gate run: start (or reach) the server, run the phases in its lifetime, and yield model events."""
