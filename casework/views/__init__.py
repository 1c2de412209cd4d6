"""Server-rendered pages of the reviewer workspace: the queue, a case, a customer."""
