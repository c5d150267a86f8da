#pragma once
// loa-bench latency: added latency from a live packet arriving at the gateway to the first
// station packet carrying that audio, with the programme bus mixing and the output paced by the
// gateway's own clock.

#include <string>
#include <vector>

namespace loa::bench {

struct LatencyBenchOptions {
    double seconds = 60;                                     ///< per mode
    std::vector<std::string> modes = {"audio", "lowdelay"};  ///< the programme encoder's Opus application
    int jitterMs = 20;
    std::string gateway;  ///< the loa-gateway binary
    std::string outDir = "bench/results";
};

int runLatencyBench(const LatencyBenchOptions& options);

}  // namespace loa::bench
