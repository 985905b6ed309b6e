"""The profiler: op-level timings recorded in the compiled engine, scopes, tables and traces.

>>> import autocompyute as ac
>>> with ac.profiler.profile() as prof:
...     y = ac.ones(4) + 1
>>> [row.name for row in prof.key_averages()]
['Add']
"""

from autocompyute.profiler.profile import ProfilerAction, ProfilerActivity, profile, schedule
from autocompyute.profiler.results import FunctionEvent, KeyAverage, KeyAverages
from autocompyute.profiler.scopes import is_recording, record_function

__all__ = [
    "FunctionEvent",
    "KeyAverage",
    "KeyAverages",
    "ProfilerAction",
    "ProfilerActivity",
    "is_recording",
    "profile",
    "record_function",
    "schedule",
]
