"""WhiteNoise's middleware, able to run on the event loop (config/asgi.py).

WhiteNoise's own is synchronous only, and one synchronous middleware makes Django hold a thread
for every request it passes, long-polls included. This one looks a static file up in its table
without a thread and reads the file in small steps on one.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from whitenoise.middleware import WhiteNoiseMiddleware


class AsyncCapableWhiteNoiseMiddleware(WhiteNoiseMiddleware):
    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None, *args, **kwargs):
        super().__init__(get_response, *args, **kwargs)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request):
        if self.autorefresh:  # DEBUG: looks on disk
            static_file = await sync_to_async(self.find_file)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is None:
            return await self.get_response(request)
        response = await sync_to_async(self.serve)(static_file, request)
        if response.streaming:
            response.streaming_content = _read_on_a_thread(response.streaming_content)
        return response


async def _read_on_a_thread(chunks):
    chunks = iter(chunks)
    read_next = sync_to_async(next, thread_sensitive=False)
    while (chunk := await read_next(chunks, None)) is not None:
        yield chunk
