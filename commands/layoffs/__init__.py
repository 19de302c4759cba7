"""/layoff: reports of layoffs, furloughs, cuts and closures, anonymous unless the reporter says.

An anonymous report keeps nothing about who sent it: no member or account row, no time finer
than its week, no log line; its moderation post waits a random 2 to 15 minutes, so nothing
stored tells when it arrived, and until that post is due the report is seen by no command,
export or count (its reference answers like one that does not exist). A report's reference
(L-4821) is a random number, so references do not tell the order reports arrived in.
Organizers verify, reject or merge reports; only verified ones count in /layoff stats and
/layoff list; audit entries about an anonymous report keep the day only.

One person may file ``[limits] layoff_reports_per_hour`` reports per clock hour, counted in the
database under keyed hashes only, ``HMAC(ballot secret, account)`` and, for a member,
``HMAC(ballot secret, member)`` too, so linked accounts count together and an account without
a member row gets none; each count is one atomic statement, so the limit holds across
processes and restarts. An anonymous report is counted in a transaction of its own that
commits before the report's opens (the command's ``before`` step), so no transaction ties
the report to the hash. A count is deleted when its hour ends.

The feature by concern: ``options`` (what the commands take, dates typed with or without
their year), ``limits`` (the hourly limit and its keyed hashes), ``render`` (the moderation
post and the shown values), ``access`` (finding a report, today, the moderation posts'
keys), ``report`` (filing), ``organizers`` (verify, reject, duplicate), ``publish``
(publish, unpublish: what the public tracker shows), ``commands`` (stats,
list, export), ``due`` (the digest, forgetting past hours' counts) and ``privacy`` (export,
merge). Importing the package registers them all on ``group``.
"""

from __future__ import annotations

from bot.registry import CommandGroup

group = CommandGroup("layoff", help="Report layoffs, furloughs, cuts and closures")

# the handlers register themselves on ``group`` as they are imported, in the order /help
# lists them
from commands.layoffs import report, organizers, publish, commands, due, privacy  # noqa: E402, F401, I001
