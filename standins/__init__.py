"""Local stand-ins of the chat platforms' APIs (aiohttp on 127.0.0.1).

They speak the documented payloads, record what they were sent and enforce the platforms'
rate and size limits, so the tests, the benchmarks and `rallybot demo` can run the real
SDKs against them without any token or network.
"""
