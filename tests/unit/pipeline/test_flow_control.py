"""The app's flow control: resuming a flow that is not suspended keeps the agents' records."""

from __future__ import annotations

import asyncio

from mode.utils.queues import FlowControlQueue

from pipeline.app import app


async def test_resuming_a_running_flow_keeps_what_the_queues_hold() -> None:
    flow = type(app.flow_control)(loop=asyncio.get_running_loop())
    queue: FlowControlQueue[int] = FlowControlQueue(flow_control=flow, clear_on_resume=True)
    flow.resume()
    queue.put_nowait(1)
    # Faust resumes flow again once a restored worker's streams are sought: the records
    # already handed to the agents are theirs to process (Faust will not fetch them again).
    flow.resume()
    assert queue.qsize() == 1


async def test_resuming_a_suspended_flow_still_clears_the_queues() -> None:
    flow = type(app.flow_control)(loop=asyncio.get_running_loop())
    queue: FlowControlQueue[int] = FlowControlQueue(flow_control=flow, clear_on_resume=True)
    flow.resume()
    queue.put_nowait(1)
    flow.suspend()  # a rebalance: what is queued belongs to the old assignment
    flow.resume()
    assert queue.qsize() == 0
