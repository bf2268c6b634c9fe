"""Ask a person (issue 23): a student hands the conversation to the course's staff."""
