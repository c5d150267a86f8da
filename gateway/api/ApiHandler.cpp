#include "api/ApiHandler.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>

#include "common/Log.hpp"
#include "state/StateStore.hpp"

namespace loa {
namespace {
constexpr std::string_view kTag = "api";
using Json = nlohmann::json;

ApiResponse json(int status, const Json& body) {
    return {status, "application/json", body.dump(2) + "\n", ""};
}

ApiResponse error(int status, const std::string& why) {
    return json(status, {{"error", why}});
}

Json toJson(const EmergencyRecord& r) {
    Json request = Json::parse(r.request, nullptr, false);
    Json stations = Json::array();
    std::stringstream in(r.stations);
    for (std::string id; std::getline(in, id, ',');)
        stations.push_back(id);
    // Where it was triggered: this gateway, or the parent it is relayed from.
    const bool relayed = request.is_object() && request.contains("relay");
    const std::string origin = request.is_object() ? request.value("origin", "") : "";
    return {{"id", r.id},
            {"status", r.status},
            {"state", r.state},
            {"origin", origin},
            {"relayed", relayed},
            {"request", request},
            {"stations", stations},
            {"created_ms", r.createdMs},
            {"expires_ms", r.expiresMs},
            {"created_by", r.createdBy},
            {"confirmed_by", r.confirmedBy},
            {"ended_by", r.endedBy}};
}

Json toJson(const AuditRecord& r) {
    return {{"id", r.id},
            {"time_ms", r.timeMs},
            {"actor", r.actor},
            {"role", r.role},
            {"address", r.address},
            {"action", r.action},
            {"subject", r.subject},
            {"outcome", r.outcome},
            {"detail", Json::parse(r.detail, nullptr, false).is_discarded() ? Json(r.detail) : Json::parse(r.detail)}};
}

const std::string kSegments = "/api/segments/";

bool allows(ApiRole role, const std::string& method) {
    return method == "GET" || role != ApiRole::viewer;
}

std::string decode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}
}  // namespace

std::array<uint8_t, 32> tokenHash(const std::string& token) {
    std::array<uint8_t, 32> h{};
    SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), h.data());
    return h;
}

std::map<std::string, std::string> ApiHandler::parseQuery(const std::string& query) {
    std::map<std::string, std::string> out;
    std::stringstream in(query);
    for (std::string pair; std::getline(in, pair, '&');) {
        const auto eq = pair.find('=');
        out[decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : decode(pair.substr(eq + 1));
    }
    return out;
}

ApiHandler::ApiHandler(const ApiSettings& settings, EmergencyManager& emergencies, StateStore& store,
                       ApiSources sources)
    : settings_(settings), emergencies_(emergencies), store_(store), sources_(std::move(sources)) {}

std::optional<Caller> ApiHandler::authenticate(const ApiRequest& request, ApiResponse& refusal) {
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(failuresMutex_);
        auto& times = failures_[request.address];
        std::erase_if(times, [&](auto t) { return now - t > kFailureWindow; });
        if (static_cast<int>(times.size()) >= kFailureLimit) {
            refusal = error(429, "too many failed attempts from " + request.address + "; try again later");
            return std::nullopt;
        }
    }
    static const std::string kBearer = "Bearer ";
    std::optional<Caller> caller;
    bool expired = false;
    if (request.authorization.compare(0, kBearer.size(), kBearer) == 0) {
        const auto hash = tokenHash(request.authorization.substr(kBearer.size()));
        // Every token is compared, each in constant time: the time taken tells nothing.
        const int64_t nowMs = StateStore::nowMs();
        for (const auto& t : settings_.tokens) {
            if (CRYPTO_memcmp(hash.data(), t.sha256.data(), hash.size()) != 0) continue;
            if (t.expiresMs && nowMs >= t.expiresMs) {
                expired = true;
            } else {
                caller = Caller{t.name, t.role, request.address};
            }
        }
    }
    if (caller) return caller;
    // A presented token that is wrong is a guess, and guesses are slowed down; a request with
    // none (a browser's own fetches, a misconfigured client) is refused but guesses nothing.
    if (!request.authorization.empty()) {
        std::lock_guard lock(failuresMutex_);
        failures_[request.address].push_back(now);
    }
    store_.audit({0, 0, "-", "-", request.address, "api.authenticate", request.method + " " + request.path, "refused",
                  Json{{"reason", request.authorization.empty() ? "no token"
                                  : expired                     ? "expired token"
                                                                : "unknown token"}}
                      .dump()});
    LOA_LOG(warn, kTag) << request.method << " " << request.path << " from " << request.address
                        << ": refused (no valid token)";
    refusal = error(401, expired ? "the token has expired" : "a valid bearer token is required");
    return std::nullopt;
}

int ApiHandler::maxBodyBytes(const std::string& path) const {
    return path.rfind(kSegments, 0) == 0 ? settings_.maxUploadBytes : settings_.maxBodyBytes;
}

ApiResponse ApiHandler::handle(const ApiRequest& request) {
    if (static_cast<int>(request.body.size()) > maxBodyBytes(request.path)) {
        return error(413, request.path.rfind(kSegments, 0) == 0 ? "the file is larger than api.max_upload_bytes"
                                                                : "request body too large");
    }
    // The console's address, without the path: its page asks for the token itself.
    if (request.method == "GET" && request.path == "/" && settings_.console) return {302, "text/plain", "", "/console/"};
    ApiResponse refusal;
    const auto caller = authenticate(request, refusal);
    if (!caller) return refusal;
    if (!allows(caller->role, request.method))
        return error(403, "the " + std::string(toString(caller->role)) + " role may only read");
    try {
        return route(request, *caller);
    } catch (const RequestError& e) {
        return error(e.status(), e.what());
    } catch (const StorageError& e) {
        // Nothing is done that is not recorded first: refused, and the operator can retry.
        LOA_LOG(error, kTag) << request.method << " " << request.path << ": " << e.what();
        return error(503, std::string(e.what()) + "; nothing was changed, try again when it can be written");
    } catch (const std::logic_error& e) {  // std::stoul and friends on a bad query value
        return error(400, std::string("bad query value: ") + e.what());
    } catch (const std::exception& e) {
        LOA_LOG(error, kTag) << request.method << " " << request.path << ": " << e.what();
        return error(500, e.what());
    }
}

ApiResponse ApiHandler::route(const ApiRequest& request, const Caller& caller) {
    const auto& path = request.path;
    const bool get = request.method == "GET", post = request.method == "POST";
    if (get && path == "/metrics") return {200, "text/plain; version=0.0.4", sources_.metrics(), ""};
    if (get && path == "/api/status") return json(200, sources_.status());
    if (get && path == "/api/whoami")
        return json(200, {{"name", caller.name},
                          {"role", toString(caller.role)},
                          {"two_person_rule", settings_.twoPersonRule},
                          {"confirm_window_s", settings_.confirmWindowS}});
    if (get && path == "/api/stations") return json(200, sources_.stations());
    if (get && path == "/api/schedule") return json(200, sources_.schedule());
    if (get && path == "/api/segments") return json(200, sources_.segments());
    if (post && path.rfind(kSegments, 0) == 0 && path.size() > kSegments.size())
        return json(201, sources_.uploadSegment(caller, path.substr(kSegments.size()), request.body));
    static const std::string kRekey = "/rekey";
    if (post && path.rfind("/api/stations/", 0) == 0 && path.size() > 14 + kRekey.size() &&
        path.compare(path.size() - kRekey.size(), kRekey.size(), kRekey) == 0) {
        const std::string id = path.substr(14, path.size() - 14 - kRekey.size());
        if (id.find('/') == std::string::npos && sources_.rekeyStation)
            return json(200, sources_.rekeyStation(caller, id));
    }
    // Stations and schedule entries: POST /api/X adds, /api/X/ID changes, /api/X/ID/remove removes.
    for (const auto& [collection, change] : {std::pair{std::string("/api/stations"), &sources_.changeStation},
                                             std::pair{std::string("/api/schedule"), &sources_.changeScheduleEntry}}) {
        if (!post || path.compare(0, collection.size(), collection) != 0) continue;
        if (path == collection) {
            const Json body = Json::parse(request.body, nullptr, false);
            if (!body.is_object() || !body.contains("id") || !body["id"].is_string())
                throw RequestError(400, "expected a JSON object with an id");
            return json(201, (*change)(caller, "add", body["id"], request.body));
        }
        if (path[collection.size()] != '/') continue;
        std::string id = path.substr(collection.size() + 1);
        const bool remove = id.size() > 7 && id.compare(id.size() - 7, 7, "/remove") == 0;
        if (remove) id.resize(id.size() - 7);
        if (!id.empty() && id.find('/') == std::string::npos)
            return json(200, (*change)(caller, remove ? "remove" : "change", id, request.body));
    }
    static const std::string kStations = "/api/stations/";
    if (get && path.compare(0, kStations.size(), kStations) == 0 && path.size() > kStations.size() + 4 &&
        path.compare(path.size() - 4, 4, "/sdp") == 0) {
        // The SDP holds the station's key: administrators only, and always audited.
        const std::string id = path.substr(kStations.size(), path.size() - kStations.size() - 4);
        const bool allowed = caller.role == ApiRole::admin;
        const auto sdp = allowed ? sources_.stationSdp(id) : std::nullopt;
        store_.audit({0, 0, caller.name, std::string(toString(caller.role)), caller.address, "station.keys", id,
                      !allowed ? "refused"
                      : sdp    ? "ok"
                               : "unknown",
                      "{}"});
        if (!allowed) return error(403, "only the admin role may read a station's key");
        if (!sdp) return error(404, "no station '" + id + "'");
        return {200, "application/sdp", *sdp, ""};
    }
    if (get && path == "/api/audit") {
        const auto q = request.query;
        const size_t limit = q.count("limit") ? std::clamp<size_t>(std::stoul(q.at("limit")), 1, 1000) : 100;
        const int64_t before = q.count("before") ? std::stoll(q.at("before")) : 0;
        Json out = Json::array();
        for (const auto& r : store_.auditLog(limit, before))
            out.push_back(toJson(r));
        return json(200, out);
    }
    if (get && path == "/api/emergencies") {
        Json out = Json::array();
        for (const auto& r : emergencies_.list(request.query.count("all") == 0))
            out.push_back(toJson(r));
        return json(200, out);
    }
    if (post && path == "/api/emergencies") {
        const Json body = Json::parse(request.body, nullptr, false);
        if (body.is_discarded()) throw RequestError(400, "the body is not valid JSON");
        const auto r = emergencies_.trigger(caller, body);
        return json(r.state == "pending" ? 202 : 201, toJson(r));
    }
    if (post && path == "/api/cap") {
        Json out = Json::array();
        for (const auto& r : emergencies_.fromCap(caller, parseCap(request.body)))
            out.push_back(toJson(r));
        return json(200, out);
    }
    static const std::string kPrefix = "/api/emergencies/";
    if (path.compare(0, kPrefix.size(), kPrefix) == 0) {
        const auto rest = path.substr(kPrefix.size());
        const auto slash = rest.find('/');
        const std::string id = rest.substr(0, slash);
        const std::string verb = slash == std::string::npos ? "" : rest.substr(slash + 1);
        if (get && verb.empty()) {
            if (const auto r = store_.emergency(id)) return json(200, toJson(*r));
            return error(404, "no emergency '" + id + "'");
        }
        if (post && verb == "confirm") return json(200, toJson(emergencies_.confirm(caller, id)));
        if (post && verb == "cancel") return json(200, toJson(emergencies_.cancel(caller, id)));
    }
    return error(404, "no such endpoint: " + request.method + " " + path);
}

}  // namespace loa
