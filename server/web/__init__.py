"""The HTTP side of one worker: the Flask app and the WSGI pipeline around it (request ids and headers, the
choice between the fast path and Flask), the swagger documents and CORS."""
