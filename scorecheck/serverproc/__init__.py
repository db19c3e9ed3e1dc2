"""The server as a child process and the HTTP client that talks to it, with the server's log lines."""
