#pragma once
// A centre's alert through a province to its stations, with the province loaded (thousands of
// stations) and, optionally, a CPU hog beside the gateways: how long the alert takes to reach a
// station, whether it reaches it every time, and whether the province's upstream ever yields,
// starts afresh or lets the alert drop while it relays it.

#include <string>

namespace loa::bench {

struct RelayBenchOptions {
    int stations = 3000;  ///< the province's stations
    int triggers = 50;
    bool hog = true;  ///< two busy processes beside the gateways
    int holdMs = 2000;  ///< each alert's time on air
    int realtimePriority = 0;  ///< the gateways' fanout.realtime_priority (the unit allows 20)
    std::string gateway;
    std::string outDir = "bench/results";
};

int runRelayBench(const RelayBenchOptions& options);

}  // namespace loa::bench
