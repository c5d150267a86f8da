#pragma once
// The config mapped to each module's own options: the one place that knows both.

#include "control/EmergencyManager.hpp"
#include "settings/Settings.hpp"

namespace loa {

/// The emergency rules' view of `settings`: the two-person rule and its window only with an API.
EmergencyOptions emergencyOptions(const Settings& settings);

}  // namespace loa
