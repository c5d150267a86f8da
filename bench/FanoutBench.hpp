#pragma once
// loa-bench fanout: the fan-out engine against the plain-sendmmsg floor and stock GStreamer, on
// loopback, with receivers in a separate process. See bench/README.md.

#include <string>
#include <vector>

namespace loa::bench {

struct FanoutBenchOptions {
    std::vector<size_t> stations = {100, 1000, 2000, 5000, 10000};
    std::vector<std::string> modes = {"floor", "loa-cm80", "loa-cm80-rt", "loa-cm80-libsrtp", "loa-gcm", "loa-multicast", "gstreamer"};
    double seconds = 30;
    unsigned workers = 0;
    unsigned pacingMs = 15;          ///< the engine's pacing window (gateway.fanout.pacing_ms)
    unsigned fillPerSlot = 64;       ///< destinations a pacing slot takes before the next is used
    unsigned realtimePriority = 20;  ///< the workers' SCHED_FIFO priority in the -rt modes (gateway.fanout.realtime_priority)
    size_t payloadBytes = 100;       ///< Opus payload per frame (32 kb/s in 20 ms is ~80-100 bytes)
    size_t multicastMembers = 1000;  ///< receivers joined to the group, at most
    std::string outDir = "bench/results";
    std::string layout = "ports";  ///< "ports": a socket per station; "addresses": one shared port
    std::string self;              ///< path of this executable, to start receiver and baseline children
};

int runFanoutBench(const FanoutBenchOptions& options);
/// Child: receives for `seconds` and writes its JSON summary to `jsonPath`.
int runReceiver(const std::vector<std::string>& args);
/// Child: stock GStreamer, opusenc ! rtpopuspay ! multiudpsink to the same destinations.
int runGstBaseline(const std::vector<std::string>& args);

}  // namespace loa::bench
