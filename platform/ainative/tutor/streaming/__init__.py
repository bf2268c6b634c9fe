"""How an answer reaches the student: its Redis Stream (the worker's writer, the API's hub
and SSE relay) and the done signal with its long-poll."""
