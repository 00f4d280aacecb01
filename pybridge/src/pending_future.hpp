#pragma once
// The futures receive() and send() return when the app must wait, held in a slot of the object that resolves
// them (AsgiExchange, AsgiWebSocket) and counted in live_objects().pending_futures while held.

#include <pybind11/pybind11.h>

namespace bridge {

/// Counts `future` (just made by the loop's create_future) as held, and returns it.
pybind11::object hold_future(pybind11::object future);

/// future.done(): resolved, failed or cancelled (by the app, say, through a timeout).
bool future_done(pybind11::handle future);

/// Empties `slot`; returns the future if it still waits for a result (not done, not cancelled by the app).
pybind11::object take_waiting_future(pybind11::object &slot);

/// Empties `slot` without resolving what it held.
void drop_future(pybind11::object &slot);

} // namespace bridge
