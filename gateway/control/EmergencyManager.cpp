#include "control/EmergencyManager.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_set>

#include "common/Base64.hpp"
#include "common/Log.hpp"
#include "srtp/StationKeys.hpp"

namespace loa {
namespace {
constexpr std::string_view kEmergencyManagerTag = "emergency";
using Json = nlohmann::json;

const Actor kGateway{"gateway", Role::admin, ""};

std::string newId() {
    uint8_t bytes[6];
    RAND_bytes(bytes, sizeof bytes);
    return "em-" + hexEncode(bytes);
}

std::vector<std::string> strings(const Json& j, const char* key) {
    std::vector<std::string> out;
    if (!j.contains(key)) return out;
    if (!j[key].is_array())
        throw Refusal(RefusalReason::invalid, std::string("targets.") + key + ": expected a list of strings");
    for (const auto& v : j[key]) {
        if (!v.is_string())
            throw Refusal(RefusalReason::invalid, std::string("targets.") + key + ": expected a list of strings");
        out.push_back(v.get<std::string>());
    }
    return out;
}

bool inArea(const std::string& stationArea, const std::string& area) {
    return stationArea == area || (stationArea.size() > area.size() && stationArea.compare(0, area.size(), area) == 0 &&
                                   stationArea[area.size()] == '/');
}

/// Whether `targets` (as a request gives them, already checked) name station `s`.
bool named(const Json& t, const StationSettings& s) {
    if (t.value("all", false)) return true;
    const auto listed = [&](const char* key, auto match) {
        if (!t.contains(key) || !t[key].is_array()) return false;
        return std::any_of(t[key].begin(), t[key].end(), [&](const Json& v) { return v.is_string() && match(v.get<std::string>()); });
    };
    return listed("stations", [&](const std::string& id) { return id == s.id; }) ||
           listed("areas", [&](const std::string& a) { return !s.area.empty() && inArea(s.area, a); }) ||
           listed("groups", [&](const std::string& g) {
               return std::find(s.groups.begin(), s.groups.end(), g) != s.groups.end();
           }) ||
           listed("programmes", [&](const std::string& p) { return p == s.programme; });
}

/// A test or an exercise never reaches a station that has not agreed to take them.
bool accepts(const StationSettings& s, const std::string& status) {
    return status == "actual" || s.acceptsTests;
}

/// Token names are people's: "alice" and "Alice" are one person (the two-person rule).
bool samePerson(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string commaJoined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : ",") + s;
    return out;
}
}  // namespace

EmergencyManager::EmergencyManager(StateStore& store, EmergencyOutput& output, EmergencyOptions options)
    : store_(store), output_(output), options_(std::move(options)) {}

void EmergencyManager::updateOptions(EmergencyOptions options) {
    std::lock_guard lock(mutex_);
    // Stations new or changed in what alerts target: each joins the emergencies on air whose
    // targets name it (whenever it joins, it hears every alert that lists it).
    std::unordered_map<std::string_view, const StationSettings*> before;
    for (const auto& s : options_.stations)
        before.emplace(s.id, &s);
    std::vector<size_t> joining;
    for (size_t i = 0; i < options.stations.size(); ++i) {
        const auto it = before.find(options.stations[i].id);
        if (it == before.end() || targetedDifferently(*it->second, options.stations[i])) joining.push_back(i);
    }
    options_ = std::move(options);
    std::vector<const StationSettings*> stations;
    for (const size_t i : joining)
        stations.push_back(&options_.stations[i]);
    joinActive(stations);
}

const std::pair<std::string, bool>* EmergencyManager::programme(std::string_view id) const {
    const auto it = std::find_if(options_.programmes.begin(), options_.programmes.end(),
                                 [&](const auto& p) { return p.first == id; });
    return it == options_.programmes.end() ? nullptr : &*it;
}

bool EmergencyManager::targetedDifferently(const StationSettings& a, const StationSettings& b) {
    return a.area != b.area || a.groups != b.groups || a.acceptsTests != b.acceptsTests;
}

void EmergencyManager::updateStation(const std::string& id, const StationSettings* now) {
    std::lock_guard lock(mutex_);
    auto& list = options_.stations;
    const auto it = std::find_if(list.begin(), list.end(), [&](const auto& s) { return s.id == id; });
    const bool joins = now && (it == list.end() || targetedDifferently(*it, *now));
    if (!now) {
        if (it != list.end()) list.erase(it);
        return;
    }
    const StationSettings* station = nullptr;
    if (it == list.end()) {
        station = &list.emplace_back(*now);
    } else {
        *it = *now;
        station = &*it;
    }
    if (joins) joinActive({station});
}

void EmergencyManager::joinActive(const std::vector<const StationSettings*>& stations) {
    if (stations.empty()) return;
    for (auto& r : store_.emergencies(true)) {
        if (r.state != "active") continue;
        const Json request = Json::parse(r.request, nullptr, false);
        if (!request.is_object() || !request.contains("targets")) continue;
        auto listed = stationsOf(r);
        const std::unordered_set<std::string> already(listed.begin(), listed.end());
        std::vector<std::string> joined;
        for (const auto* s : stations) {
            if (!already.count(s->id) && named(request["targets"], *s) && accepts(*s, r.status))
                joined.push_back(s->id);
        }
        if (joined.empty()) continue;
        listed.insert(listed.end(), joined.begin(), joined.end());
        r.stations = commaJoined(listed);
        try {
            store_.putEmergency(r);  // on disk before it is on air for them
        } catch (const std::exception& e) {
            LOA_LOG(error, kEmergencyManagerTag) << r.id << ": " << joined.size() << " station(s) joining its targets not saved: "
                                 << e.what();
            continue;
        }
        for (const auto& station : joined)
            output_.joinEmergency(r.id, station);
        audit(kGateway, "emergency.join", r, "ok", commaJoined(joined) + " joined its targets");
    }
}

void EmergencyManager::audit(const Actor& caller, const std::string& action, const EmergencyRecord& r,
                             const std::string& outcome, const std::string& detail) {
    Json d = {{"status", r.status}, {"state", r.state}};
    if (!detail.empty()) d["reason"] = detail;
    if (r.request.find("\"unmatched\"") != std::string::npos) {  // targets that reached nobody, in every entry
        const Json request = Json::parse(r.request, nullptr, false);
        if (request.is_object() && request.contains("unmatched")) d["unmatched"] = request["unmatched"];
    }
    store_.audit(
        {0, 0, caller.name, std::string(toString(caller.role)), caller.address, action, r.id, outcome, d.dump()});
    if (observer_) observer_(action, r, outcome);
    // An actual emergency is a warning in the log, so it stands out from tests and exercises.
    const auto level = r.status == "actual" ? log::Level::warn : log::Level::info;
    if (log::enabled(level))
        log::Line(level, kEmergencyManagerTag) << action << " " << r.id << " [" << (r.status == "actual" ? "ACTUAL" : r.status)
                               << "] by " << caller.name << ": " << outcome
                               << (detail.empty() ? "" : " (" + detail + ")") << "; " << r.state;
}

void EmergencyManager::refuse(const Actor& caller, const std::string& action, const std::string& subject,
                              RefusalReason reason, const std::string& why) {
    store_.audit({0, 0, caller.name, std::string(toString(caller.role)), caller.address, action, subject, "refused",
                  Json{{"reason", why}}.dump()});
    LOA_LOG(warn, kEmergencyManagerTag) << action << " " << subject << " by " << caller.name << " refused: " << why;
    throw Refusal(reason, why);
}

void EmergencyManager::requireRole(const Actor& caller, const std::string& action, const std::string& subject) {
    if (caller.role != Role::emergency && caller.role != Role::admin)
        refuse(caller, action, subject, RefusalReason::forbidden,
               "the " + std::string(toString(caller.role)) + " role may not do this");
}

EmergencyAudio EmergencyManager::audioOf(const EmergencyRecord& r) const {
    const Json request = Json::parse(r.request);
    EmergencyAudio audio;
    audio.status = r.status;
    audio.toneMs = request.value("tone", true) ? options_.toneMs : 0;
    const std::string message = request.value("message", "");
    for (const auto& [name, file] : options_.messages) {
        if (name == message) audio.message = file;
    }
    if (request.contains("message_file")) audio.message = request["message_file"].get<std::string>();
    audio.liveProgramme = request.value("live", "");
    audio.alert.status = alertStatusFrom(r.status).value_or(AlertStatus::actual);
    if (const auto id = AlertInfo::idFrom(r.id)) audio.alert.id = *id;
    audio.alert.origin = gatewayTag(options_.gatewayId);
    if (const auto relay = request.find("relay"); relay != request.end() && relay->is_object()) {
        // A parent's alert: its own audio (tone included) from the upstream, its origin kept.
        audio.liveProgramme = relay->value("programme", "");
        audio.relayUpstream = true;
        audio.fromParent = true;
        audio.alert.origin = static_cast<uint32_t>(std::stoul(relay->value("origin_tag", "0"), nullptr, 16));
    }
    return audio;
}

std::vector<std::string> EmergencyManager::stationsOf(const EmergencyRecord& r) {
    std::vector<std::string> out;
    std::stringstream in(r.stations);
    for (std::string id; std::getline(in, id, ',');)
        out.push_back(id);
    return out;
}

void EmergencyManager::goOnAir(EmergencyRecord& r, const Actor& caller) {
    r.state = "active";
    store_.putEmergency(r);  // on disk before it is on air
    try {
        if (const auto displaced = output_.startEmergency(r.id, audioOf(r), stationsOf(r))) preempted(*displaced, r);
    } catch (const std::exception& e) {
        r.state = "failed";
        store_.putEmergency(r);
        audit(caller, "emergency.start", r, "failed", e.what());
        throw Refusal(RefusalReason::conflict, std::string("cannot go on air: ") + e.what());
    }
    audit(caller, "emergency.start", r, "ok", std::to_string(stationsOf(r).size()) + " station(s)");
}

void EmergencyManager::preempted(const std::string& id, const EmergencyRecord& by) {
    auto r = store_.emergency(id);
    if (!r || r->state != "active") return;
    r->state = "preempted";
    r->endedBy = by.id;
    store_.putEmergency(*r);
    audit(kGateway, "emergency.preempt", *r, "ok",
          "its slot went to " + by.id + " (" + by.status + "), which outranks it; no slot was free");
}

EmergencyRecord EmergencyManager::trigger(const Actor& caller, const Json& body) {
    std::lock_guard lock(mutex_);
    return triggerLocked(caller, body, Json::object());
}

EmergencyRecord EmergencyManager::triggerLocked(const Actor& caller, const Json& body, const Json& internal) {
    const std::string action = internal.contains("cap") ? "cap.alert" : "emergency.trigger";
    requireRole(caller, action, "-");
    if (!body.is_object()) refuse(caller, action, "-", RefusalReason::invalid, "expected a JSON object");
    EmergencyRecord r;
    r.id = newId();
    r.createdMs = StateStore::nowMs();
    r.createdBy = caller.name;
    try {
        r.status = body.value("status", "");
        if (r.status != "actual" && r.status != "exercise" && r.status != "test")
            throw Refusal(RefusalReason::invalid, "status: expected actual, exercise or test");
        if (!body.contains("targets") || !body["targets"].is_object())
            throw Refusal(RefusalReason::invalid, "targets: expected {\"all\": true} or areas, groups and stations");
        const Json& targets = body["targets"];
        const bool all = targets.value("all", false);
        strings(targets, "areas");  // checked: lists of strings
        strings(targets, "groups");
        for (const auto& p : strings(targets, "programmes")) {
            if (!programme(p)) throw Refusal(RefusalReason::invalid, "targets.programmes: no programme '" + p + "'");
        }
        const auto listed = strings(targets, "stations");
        const std::unordered_set<std::string> ids(listed.begin(), listed.end());  // may name thousands
        std::unordered_set<std::string_view> known;
        for (const auto& s : options_.stations)
            known.insert(s.id);
        for (const auto& id : listed) {
            if (!known.count(id)) throw Refusal(RefusalReason::invalid, "targets.stations: no station '" + id + "'");
        }
        std::vector<std::string> reached;
        std::vector<const StationSettings*> reachedStations;
        size_t matched = 0;
        for (const auto& s : options_.stations) {
            if (!(all || ids.count(s.id) || named(targets, s))) continue;
            ++matched;
            if (!accepts(s, r.status)) continue;
            reached.push_back(s.id);
            reachedStations.push_back(&s);
        }
        // Codes and groups that reach nobody (no station there, or none that takes this status):
        // when nothing matched, the refusal names them; when some did, the alert goes to those,
        // and its record and audit entry say which codes reached nobody (a CAP alert's geocodes
        // are never dropped without a word). With "all", every station is reached anyway.
        Json unmatched = Json::object();
        if (!all) {
            std::unordered_set<std::string_view> areas, groups;  // every area prefix and group reached
            for (const auto* s : reachedStations) {
                for (size_t slash = s->area.find('/'); slash != std::string::npos; slash = s->area.find('/', slash + 1))
                    areas.insert(std::string_view(s->area).substr(0, slash));
                if (!s->area.empty()) areas.insert(s->area);
                for (const auto& g : s->groups)
                    groups.insert(g);
            }
            for (const auto& [key, present] : {std::pair{"areas", &areas}, std::pair{"groups", &groups}}) {
                std::unordered_set<std::string> said;
                for (const auto& code : strings(targets, key)) {
                    if (!present->count(code) && said.insert(code).second) unmatched[key].push_back(code);
                }
            }
        }
        if (matched == 0) {
            std::string which;
            for (const auto& [key, codes] : unmatched.items())
                which += (which.empty() ? " (" : "; ") + key + " " + commaJoined(codes.get<std::vector<std::string>>());
            throw Refusal(RefusalReason::invalid,
                          "targets: no station matches" + (which.empty() ? "" : which + " name no station)"));
        }
        if (reached.empty())
            throw Refusal(RefusalReason::invalid, "targets: none of the " + std::to_string(matched) +
                                                      " station(s) matched accepts " + r.status + " emergencies");
        const std::string message = body.value("message", "");
        if (!message.empty() && std::none_of(options_.messages.begin(), options_.messages.end(),
                                             [&](const auto& m) { return m.first == message; })) {
            throw Refusal(RefusalReason::invalid, "message: no message named '" + message + "' in the config");
        }
        const std::string live = body.value("live", "");
        if (!live.empty()) {
            const auto* feed = programme(live);
            if (!feed || !feed->second)
                throw Refusal(RefusalReason::invalid, "live: no programme '" + live + "' with a live feed");
            if (!message.empty()) throw Refusal(RefusalReason::invalid, "live and message: one or the other");
        }
        const int64_t expires = body.value("expires_s", int64_t{0});
        if (expires < 0 || expires > 7 * 86400)
            throw Refusal(RefusalReason::invalid, "expires_s: expected 0 to 604800");
        r.expiresMs = expires ? r.createdMs + expires * 1000 : 0;
        Json request = {{"targets", targets},
                        {"origin", options_.gatewayId},
                        {"tone", body.value("tone", true)},
                        {"message", message},
                        {"live", live},
                        {"expires_s", expires},
                        {"note", body.value("note", "")}};
        // What the gateway itself adds (the CAP alert it came from, its own audio file): never
        // taken from a caller's body.
        for (const auto& [key, value] : internal.items())
            request[key] = value;
        if (!unmatched.empty()) request["unmatched"] = unmatched;
        r.request = request.dump();
        r.stations = commaJoined(reached);
    } catch (const Refusal& e) {
        refuse(caller, action, r.id, e.reason(), e.what());
    } catch (const Json::exception& e) {
        refuse(caller, action, r.id, RefusalReason::invalid, std::string("malformed request: ") + e.what());
    }
    if (r.status == "actual" && options_.twoPersonRule) {
        r.state = "pending";
        store_.putEmergency(r);
        audit(caller, action, r, "pending", "waiting for a second operator's confirmation");
        return r;
    }
    audit(caller, action, r, "ok");
    goOnAir(r, caller);
    return r;
}

EmergencyRecord EmergencyManager::load(const std::string& id, const Actor& caller, const std::string& action) {
    auto r = store_.emergency(id);
    if (!r) refuse(caller, action, id, RefusalReason::notFound, "no emergency '" + id + "'");
    return *r;
}

EmergencyRecord EmergencyManager::confirm(const Actor& caller, const std::string& id) {
    std::lock_guard lock(mutex_);
    const std::string action = "emergency.confirm";
    requireRole(caller, action, id);
    auto r = load(id, caller, action);
    if (r.state != "pending")
        refuse(caller, action, id, RefusalReason::conflict, "it is " + r.state + ", not waiting for confirmation");
    if (samePerson(caller.name, r.createdBy))
        refuse(caller, action, id, RefusalReason::forbidden, "the operator who triggered it cannot confirm it");
    const int64_t window = options_.confirmWindowS * int64_t{1000};
    if (StateStore::nowMs() > r.createdMs + window) {
        r.state = "unconfirmed";
        store_.putEmergency(r);
        refuse(caller, action, id, RefusalReason::conflict, "the confirmation window has passed");
    }
    r.confirmedBy = caller.name;
    audit(caller, action, r, "ok");
    goOnAir(r, caller);
    return r;
}

EmergencyRecord EmergencyManager::cancel(const Actor& caller, const std::string& id) {
    std::lock_guard lock(mutex_);
    return cancelLocked(caller, id);
}

EmergencyRecord EmergencyManager::cancelLocked(const Actor& caller, const std::string& id) {
    const std::string action = "emergency.cancel";
    requireRole(caller, action, id);
    auto r = load(id, caller, action);
    if (r.state != "pending" && r.state != "active")
        refuse(caller, action, id, RefusalReason::conflict, "it is already " + r.state);
    if (const auto origin = relayOrigin(r))
        refuse(caller, action, id, RefusalReason::conflict,
               "it is " + *origin + "'s alert, relayed here: it ends when " + *origin + " ends it");
    const bool wasActive = r.state == "active";
    r.state = "cancelled";
    r.endedBy = caller.name;
    store_.putEmergency(r);
    if (wasActive) output_.stopEmergency(r.id);
    audit(caller, action, r, "ok");
    return r;
}

std::vector<EmergencyRecord> EmergencyManager::list(bool liveOnly) {
    return store_.emergencies(liveOnly);
}

void EmergencyManager::tick() {
    std::lock_guard lock(mutex_);
    const int64_t now = StateStore::nowMs();
    const int64_t window = options_.confirmWindowS * int64_t{1000};
    for (auto& r : store_.emergencies(true)) {
        if (r.state == "active" && r.expiresMs && now >= r.expiresMs) {
            r.state = "expired";
            r.endedBy = "expiry";
            store_.putEmergency(r);
            output_.stopEmergency(r.id);
            audit(kGateway, "emergency.expire", r, "ok");
        } else if (r.state == "pending" && now > r.createdMs + window) {
            r.state = "unconfirmed";
            store_.putEmergency(r);
            audit(kGateway, "emergency.unconfirmed", r, "ok", "no second operator confirmed it in time");
        }
    }
}

std::optional<std::string> EmergencyManager::relayOrigin(const EmergencyRecord& r) {
    const Json request = Json::parse(r.request, nullptr, false);
    if (!request.is_object() || !request.contains("relay") || !request["relay"].is_object()) return std::nullopt;
    return request["relay"].value("origin", "the parent gateway");
}

void EmergencyManager::relayFromParent(const AlertInfo& alert, const std::string& programme,
                                       const std::string& origin) {
    std::lock_guard lock(mutex_);
    const Actor parent{origin, Role::emergency, "upstream " + programme};
    // The alert the parent's stream carries now is the only one relayed from it.
    endRelayed(programme, alert.idString(), "the parent's stream carries another alert now");
    auto existing = store_.emergency(alert.idString());
    if (existing && existing->state == "active") {
        // Relayed already; the same alert on another programme's upstream brings that
        // programme's stations in too (they hear it from the first programme's relay).
        Json request = Json::parse(existing->request, nullptr, false);
        if (!request.is_object() || !request.contains("relay")) return;
        auto& programmes = request["targets"]["programmes"];
        if (std::find(programmes.begin(), programmes.end(), programme) != programmes.end()) return;
        programmes.push_back(programme);
        existing->request = request.dump();
        auto listed = stationsOf(*existing);
        std::vector<std::string> joined;
        for (const auto& s : options_.stations) {
            if (s.programme == programme && accepts(s, existing->status) &&
                std::find(listed.begin(), listed.end(), s.id) == listed.end())
                joined.push_back(s.id);
        }
        listed.insert(listed.end(), joined.begin(), joined.end());
        existing->stations = commaJoined(listed);
        store_.putEmergency(*existing);
        for (const auto& station : joined)
            output_.joinEmergency(existing->id, station);
        audit(parent, "emergency.join", *existing, "ok", "also on the upstream of " + programme);
        return;
    }
    EmergencyRecord r;
    r.id = alert.idString();
    r.status = std::string(toString(alert.status));
    r.createdMs = StateStore::nowMs();
    r.createdBy = origin;
    char tag[16];
    std::snprintf(tag, sizeof tag, "%08x", alert.origin);
    const Json request = {{"targets", {{"programmes", {programme}}}},
                          {"origin", origin},
                          {"tone", false},
                          {"relay", {{"programme", programme}, {"origin", origin}, {"origin_tag", tag}}}};
    r.request = request.dump();
    // This gateway's own rule: a test or an exercise only where stations take them.
    std::vector<std::string> reached;
    size_t matched = 0;
    for (const auto& s : options_.stations) {
        if (!named(request["targets"], s)) continue;
        ++matched;
        if (accepts(s, r.status)) reached.push_back(s.id);
    }
    r.stations = commaJoined(reached);
    if (reached.empty()) {
        r.state = "not relayed";
        store_.putEmergency(r);
        audit(parent, "emergency.relay", r, "refused",
              std::to_string(matched) + " station(s) on " + programme + ", none of which accepts " + r.status +
                  " alerts");
        return;
    }
    audit(parent, "emergency.relay", r, "ok", "from " + origin + " on the upstream of " + programme);
    try {
        goOnAir(r, parent);
    } catch (const Refusal&) {
        // Recorded and audited as failed by goOnAir (no slot its standing may take).
    }
}

void EmergencyManager::parentStopped(const std::string& programme, const std::string& why) {
    std::lock_guard lock(mutex_);
    endRelayed(programme, "", why);
}

void EmergencyManager::endRelayed(const std::string& programme, const std::string& except, const std::string& why) {
    for (auto& r : store_.emergencies(true)) {
        if (r.state != "active" || r.id == except) continue;
        const Json request = Json::parse(r.request, nullptr, false);
        if (!request.is_object() || !request.contains("relay") ||
            request["relay"].value("programme", "") != programme)
            continue;
        r.state = "ended";
        r.endedBy = request["relay"].value("origin", "the parent gateway");
        store_.putEmergency(r);
        output_.stopEmergency(r.id);
        audit(kGateway, "emergency.end", r, "ok", why);
    }
}

void EmergencyManager::resume() {
    std::lock_guard lock(mutex_);
    auto live = store_.emergencies(true);
    std::reverse(live.begin(), live.end());  // oldest first, as they went on air
    for (auto& r : live) {
        if (r.state != "active") continue;
        if (relayOrigin(r)) {
            // A parent's alert is relayed again from the parent's stream when it carries it.
            r.state = "ended";
            r.endedBy = "restart";
            store_.putEmergency(r);
            audit(kGateway, "emergency.end", r, "ok", "this gateway restarted; relayed again when the parent's stream carries it");
            continue;
        }
        try {
            if (const auto displaced = output_.startEmergency(r.id, audioOf(r), stationsOf(r)))
                preempted(*displaced, r);
            audit(kGateway, "emergency.resume", r, "ok", "back on air after a restart");
        } catch (const std::exception& e) {
            audit(kGateway, "emergency.resume", r, "failed", e.what());
        }
    }
}

}  // namespace loa

namespace loa {

std::vector<EmergencyRecord> EmergencyManager::fromCap(const Actor& caller, const CapAlert& alert) {
    // The alert's own audio (its first audio resource with a derefUri) is stored and decoded
    // first, outside the lock (decoding takes time, and the control thread must not wait on it)
    // and before anything changes (a refusal leaves the alerts it references on air).
    std::filesystem::path stateDir;
    AudioCheck check;
    bool capMessage = false;
    {
        std::lock_guard lock(mutex_);
        stateDir = options_.stateDir;
        check = audioCheck_;
        capMessage = std::any_of(options_.messages.begin(), options_.messages.end(),
                                 [](const auto& m) { return m.first == "cap"; });
    }
    std::filesystem::path audioFile;
    std::string audioProblem;
    struct Discard {  // the stored audio, unless an emergency took it
        std::filesystem::path* file;
        ~Discard() {
            std::error_code ec;
            if (!file->empty()) std::filesystem::remove(*file, ec);
        }
    } discard{&audioFile};
    for (const auto& res : alert.resources) {
        if (alert.msgType == "Cancel" || res.content.empty() || res.mimeType.rfind("audio/", 0) != 0) continue;
        const auto dir = stateDir / "cap";
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        std::string name;
        for (char c : alert.identifier)
            name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
        audioFile = dir / (name.substr(0, 80) + "-" + newId() + ".audio");
        std::ofstream audio(audioFile, std::ios::binary);
        audio.write(reinterpret_cast<const char*>(res.content.data()), static_cast<std::streamsize>(res.content.size()));
        audio.close();
        if (!audio) {
            audioProblem = "it cannot be stored in " + dir.string() + " (disk full?)";
        } else if (check) {
            audioProblem = check(audioFile);
        }
        if (!audioProblem.empty()) {
            std::filesystem::remove(audioFile, ec);
            audioFile.clear();
        }
        break;
    }

    std::lock_guard lock(mutex_);
    const std::string action = "cap." + alert.msgType;
    const std::string subject = alert.sender + "," + alert.identifier;
    requireRole(caller, action, subject);
    std::string status;
    if (alert.status == "Actual") status = "actual";
    if (alert.status == "Exercise") status = "exercise";
    if (alert.status == "Test") status = "test";
    if (status.empty())
        refuse(caller, action, subject, RefusalReason::invalid, "a CAP " + alert.status + " alert is not broadcast");
    if (alert.msgType == "Ack" || alert.msgType == "Error")
        refuse(caller, action, subject, RefusalReason::invalid, "a CAP " + alert.msgType + " has nothing to broadcast");
    if (!audioProblem.empty() && !capMessage)
        refuse(caller, action, subject, RefusalReason::invalid,
               "the alert's <derefUri> cannot be played (" + audioProblem +
                   "), and no emergency message named 'cap' is configured to play instead");

    std::vector<EmergencyRecord> out;
    if (alert.msgType == "Update" || alert.msgType == "Cancel") {
        // End what the referenced alerts put on air (or still wait for confirmation), each only
        // by a message of its own status: a test never ends or replaces an actual alert.
        std::vector<EmergencyRecord> referenced;
        for (const auto& r : store_.emergencies(true)) {
            const Json request = Json::parse(r.request, nullptr, false);
            if (!request.is_object() || !request.contains("cap")) continue;
            const auto& cap = request["cap"];
            for (const auto& ref : alert.references) {
                if (cap.value("sender", "") == ref.sender && cap.value("identifier", "") == ref.identifier)
                    referenced.push_back(r);
            }
        }
        for (const auto& r : referenced) {
            if (r.status != status)
                refuse(caller, action, subject, RefusalReason::conflict,
                       "a CAP " + alert.msgType + " with status " + alert.status + " cannot end " + r.id + ", an " +
                           r.status + " alert: it must have the status of what it references");
        }
        for (const auto& r : referenced)
            out.push_back(cancelLocked(caller, r.id));
        if (alert.msgType == "Cancel") {
            if (out.empty())
                refuse(caller, action, subject, RefusalReason::notFound,
                       "no emergency on air for the referenced alert");
            return out;
        }
    }
    if (alert.geocodes.empty())
        refuse(caller, action, subject, RefusalReason::invalid, "the alert has no <area><geocode>");
    Json body = {{"status", status}, {"targets", {{"areas", alert.geocodes}}}};
    if (alert.expiresMs) {
        const int64_t left = (*alert.expiresMs - StateStore::nowMs()) / 1000;
        if (left <= 0) refuse(caller, action, subject, RefusalReason::invalid, "the alert has already expired");
        body["expires_s"] = std::min<int64_t>(left, 7 * 86400);
    }
    if (!alert.headlines.empty()) body["note"] = alert.headlines.front();
    Json internal = {{"cap",
                      {{"sender", alert.sender},
                       {"identifier", alert.identifier},
                       {"sent", alert.sent},
                       {"msgType", alert.msgType}}}};
    // The alert's own audio when it plays; else the message named "cap" in the config.
    if (!audioFile.empty()) {
        internal["message_file"] = audioFile.string();
    } else if (capMessage) {
        body["message"] = "cap";
        if (!audioProblem.empty()) {
            internal["deref_refused"] = audioProblem;
            LOA_LOG(warn, kEmergencyManagerTag) << "CAP " << subject << ": its <derefUri> cannot be played ("
                                                << audioProblem << "): the configured message 'cap' plays instead";
        }
    }
    out.push_back(triggerLocked(caller, body, internal));
    audioFile.clear();  // the emergency plays it now
    return out;
}

size_t EmergencyManager::pruneCapAudio(std::chrono::seconds retention) {
    std::set<std::string> playing;
    std::filesystem::path dir;
    {
        std::lock_guard lock(mutex_);
        dir = options_.stateDir / "cap";
        for (const auto& r : store_.emergencies(true)) {
            const Json request = Json::parse(r.request, nullptr, false);
            if (request.is_object() && request.contains("message_file") && request["message_file"].is_string())
                playing.insert(request["message_file"].get<std::string>());
        }
    }
    size_t removed = 0;
    std::error_code ec;
    const auto now = std::filesystem::file_time_type::clock::now();
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        std::error_code fe;
        const auto when = entry.last_write_time(fe);
        if (fe || playing.count(entry.path().string()) || now - when < retention) continue;
        if (std::filesystem::remove(entry.path(), fe)) ++removed;
    }
    if (removed) {
        LOA_LOG(info, kEmergencyManagerTag) << "deleted " << removed << " CAP audio file(s) past their retention";
    }
    return removed;
}

}  // namespace loa
