#include "app/ModuleOptions.hpp"

namespace loa {

EmergencyOptions emergencyOptions(const Settings& settings) {
    EmergencyOptions o;
    o.gatewayId = settings.gateway.id;
    o.stateDir = settings.gateway.stateDir;
    o.toneMs = settings.emergency.toneMs;
    o.messages = settings.emergency.messages;
    if (settings.api) {
        o.twoPersonRule = settings.api->twoPersonRule;
        o.confirmWindowS = settings.api->confirmWindowS;
    }
    for (const auto& p : settings.programmes)
        o.programmes.emplace_back(p.id, p.live.has_value());
    o.stations = settings.stations;
    return o;
}

}  // namespace loa
