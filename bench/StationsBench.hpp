#pragma once
// loa-bench stations: what adding, changing and removing a station over the control API costs a
// gateway that already serves many, as an operator sees it (the API call's time, durable write
// included) while the gateway streams to all of them.

#include <string>

namespace loa::bench {

struct StationsBenchOptions {
    int stations = 10000;
    int changes = 50;  ///< of each kind: add, change, remove
    bool silent = false;  ///< the stations have no address (learned from reports that never come): no streaming
    std::string gateway;
    std::string outDir = "bench/results";
};

int runStationsBench(const StationsBenchOptions& options);

}  // namespace loa::bench
