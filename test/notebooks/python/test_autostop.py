"""unittest for assets/notebook-lifecycle/autostop.py (run by test/notebooks/starter-notebooks.test.ts)."""

import datetime
import unittest

import autostop

UTC = datetime.timezone.utc
START = datetime.datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


def session(state, activity):
    return {"kernel": {"execution_state": state, "last_activity": activity}}


class IdleTest(unittest.TestCase):
    def test_parses_jupyter_times(self):
        self.assertEqual(autostop.parse_time("2026-01-01T08:00:00.000000Z"), START)

    def test_no_session_counts_from_the_start(self):
        self.assertFalse(autostop.is_idle([], START + datetime.timedelta(minutes=59), START, 3600))
        self.assertTrue(autostop.is_idle([], START + datetime.timedelta(minutes=60), START, 3600))

    def test_a_busy_kernel_is_never_idle(self):
        sessions = [session("busy", "2026-01-01T08:00:00Z")]
        self.assertFalse(autostop.is_idle(sessions, START + datetime.timedelta(days=1), START, 3600))

    def test_counts_from_the_latest_kernel_activity(self):
        sessions = [session("idle", "2026-01-01T08:30:00Z"), session("idle", "2026-01-01T09:10:00Z"), {"kernel": None}]
        self.assertFalse(autostop.is_idle(sessions, START + datetime.timedelta(hours=2), START, 3600))
        self.assertTrue(autostop.is_idle(sessions, START + datetime.timedelta(hours=2, minutes=10), START, 3600))


if __name__ == "__main__":
    unittest.main()
