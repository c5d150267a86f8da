#include "control/EmergencyRouter.hpp"

#include <algorithm>
#include <utility>

#include "common/Error.hpp"

namespace loa {

EmergencyRouter::EmergencyRouter(size_t slots) : slots_(slots) {}

void EmergencyRouter::list(size_t slot, const std::string& station) {
    auto& slots = byStation_[station];
    if (std::find(slots.begin(), slots.end(), slot) != slots.end()) return;
    slots.push_back(slot);
    slots_[slot].stations.push_back(station);
}

EmergencyRouter::Taken EmergencyRouter::take(const std::string& id, AlertStanding standing,
                                             const std::vector<std::string>& stations) {
    std::lock_guard lock(mutex_);
    standing.sequence = ++sequence_;
    Taken taken;
    auto chosen = std::find_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.emergency.empty(); });
    if (chosen == slots_.end()) {
        // Full: the lowest-standing emergency this one is above gives up its slot.
        const Slot* lowest = nullptr;
        for (const auto& s : slots_) {
            if (standing.above(s.standing) && (!lowest || lowest->standing.heardOver(s.standing))) lowest = &s;
        }
        if (!lowest) {
            throw Error("all " + std::to_string(slots_.size()) +
                        " emergency slots are on air with alerts of equal or higher standing (emergency.slots)");
        }
        chosen = slots_.begin() + (lowest - slots_.data());
        taken.displaced = chosen->emergency;
        taken.displacedStations = release(chosen->emergency, lock);
    }
    const auto index = static_cast<size_t>(chosen - slots_.begin());
    chosen->emergency = id;
    chosen->standing = standing;
    for (const auto& s : stations)
        list(index, s);
    taken.slot = index;
    return taken;
}

std::vector<std::string> EmergencyRouter::release(const std::string& id) {
    std::lock_guard lock(mutex_);
    return release(id, lock);
}

std::vector<std::string> EmergencyRouter::release(const std::string& id, const std::lock_guard<std::mutex>&) {
    const auto slot = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.emergency == id; });
    if (slot == slots_.end()) return {};
    const auto index = static_cast<size_t>(slot - slots_.begin());
    for (const auto& station : slot->stations) {
        auto& listed = byStation_[station];
        std::erase(listed, index);
        if (listed.empty()) byStation_.erase(station);
    }
    slot->emergency.clear();
    slot->standing = {};
    return std::exchange(slot->stations, {});
}

bool EmergencyRouter::add(const std::string& id, const std::string& station) {
    std::lock_guard lock(mutex_);
    const auto slot = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.emergency == id; });
    if (slot == slots_.end()) return false;
    list(static_cast<size_t>(slot - slots_.begin()), station);
    return true;
}

const EmergencyRouter::Slot* EmergencyRouter::heardBy(const std::string& station) const {
    const auto it = byStation_.find(station);
    if (it == byStation_.end()) return nullptr;
    const Slot* best = nullptr;
    for (size_t i : it->second) {
        if (!best || slots_[i].standing.heardOver(best->standing)) best = &slots_[i];
    }
    return best;
}

std::optional<size_t> EmergencyRouter::slotFor(const std::string& station) const {
    std::lock_guard lock(mutex_);
    const auto* slot = heardBy(station);
    return slot ? std::optional<size_t>(static_cast<size_t>(slot - slots_.data())) : std::nullopt;
}

std::optional<std::string> EmergencyRouter::emergencyFor(const std::string& station) const {
    std::lock_guard lock(mutex_);
    const auto* slot = heardBy(station);
    return slot ? std::optional<std::string>(slot->emergency) : std::nullopt;
}

std::optional<size_t> EmergencyRouter::slotOf(const std::string& id) const {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].emergency == id) return i;
    }
    return std::nullopt;
}

std::unordered_map<std::string, std::string> EmergencyRouter::following() const {
    std::lock_guard lock(mutex_);
    std::unordered_map<std::string, std::string> out;
    for (const auto& [station, listed] : byStation_) {
        if (const auto* slot = heardBy(station)) out.emplace(station, slot->emergency);
    }
    return out;
}

}  // namespace loa
