#pragma once
// loa-bench soak: a gateway serving thousands of stations for a long time, with schedule
// switches and emergencies every few minutes; its memory and CPU recorded each minute, and the
// growth per hour after warm-up reported (the target: none).

#include <string>

namespace loa::bench {

struct SoakBenchOptions {
    int minutes = 10;
    int stations = 2000;
    int warmupMinutes = 2;     ///< left out of the growth figure
    int scheduleEveryS = 120;  ///< a bulletin added over the API, played, then removed
    int emergencyEveryS = 180;  ///< an emergency for every station, cancelled after 20 s
    std::string gateway;
    std::string outDir = "bench/results";
};

int runSoakBench(const SoakBenchOptions& options);

}  // namespace loa::bench
