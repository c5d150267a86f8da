#pragma once
// The cost of durable replay floors (state/ReplayFloors): stations reporting every 2 s and live
// feeds at 50 packets/s, their ceilings saved by the flusher as the gateway does.

#include <filesystem>
#include <string>

namespace loa::bench {

struct FloorsBenchOptions {
    int stations = 10000;
    int feeds = 2;
    double seconds = 30;
    std::filesystem::path dir = "bench/results/tmp";  ///< where floors.db goes: the disk measured
    std::filesystem::path outDir = "bench/results";
};

int runFloorsBench(const FloorsBenchOptions& options);

}  // namespace loa::bench
