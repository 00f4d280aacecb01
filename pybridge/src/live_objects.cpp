#include "live_objects.hpp"

namespace py = pybind11;

namespace bridge {

LiveObjects &live_objects() {
    static LiveObjects counters;
    return counters;
}

void register_live_objects(py::module_ &m) {
    m.def(
        "live_objects",
        [] {
            const LiveObjects &live = live_objects();
            py::dict counts;
            counts["servers"] = live.servers.load();
            counts["exchanges"] = live.exchanges.load();
            counts["websockets"] = live.websockets.load();
            counts["registered"] = live.registered.load();
            counts["external_buffers"] = live.external_buffers.load();
            counts["pending_futures"] = live.pending_futures.load();
            counts["wsgi_channels"] = live.wsgi_channels.load();
            counts["wsgi_objects"] = live.wsgi_objects.load();
            return counts;
        },
        "Counts of the bridge's live objects by kind; all return to zero once every request has ended.");
}

} // namespace bridge
