#pragma once
// What the gateway would put on air for the emergency manager, recorded; its slots decided by a
// real EmergencyRouter, so precedence and slot taking are the gateway's own.

#include <map>
#include <string>
#include <vector>

#include "control/EmergencyManager.hpp"
#include "control/EmergencyRouter.hpp"

namespace loa::test {

struct FakeEmergencyOutput : EmergencyOutput {
    explicit FakeEmergencyOutput(size_t slots = 4) : router(slots) {}

    EmergencyRouter router;
    std::map<std::string, std::vector<std::string>> onAir;  ///< each emergency on air: its stations
    std::map<std::string, EmergencyAudio> audio;

    std::optional<std::string> startEmergency(const std::string& id, const EmergencyAudio& a,
                                              const std::vector<std::string>& stations) override {
        auto taken = router.take(id, {a.alert.status, a.fromParent, 0}, stations);
        if (taken.displaced) onAir.erase(*taken.displaced);
        onAir[id] = stations;
        audio[id] = a;
        return taken.displaced;
    }
    void stopEmergency(const std::string& id) override {
        router.release(id);
        onAir.erase(id);
    }
    void joinEmergency(const std::string& id, const std::string& station) override {
        if (router.add(id, station)) onAir[id].push_back(station);
    }
};

}  // namespace loa::test
