#pragma once
// loa-bench emergency: from the control API's answer to a trigger to the first packet marked
// emergency at a station, and the same for a cancel, over many triggers.

#include <string>

namespace loa::bench {

struct EmergencyBenchOptions {
    int triggers = 100;
    int stations = 100;  ///< one probe, the others receivers that only bind their port
    std::string gateway;
    std::string outDir = "bench/results";
};

int runEmergencyBench(const EmergencyBenchOptions& options);

}  // namespace loa::bench
