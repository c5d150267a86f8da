#include "api/ApiHandler.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <tuple>

#include "api/PrometheusText.hpp"
#include "common/Log.hpp"
#include "state/StateStore.hpp"

namespace loa {
namespace {
constexpr std::string_view kApiHandlerTag = "api";
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
    : settings_(settings), emergencies_(emergencies), store_(store), sources_(std::move(sources)) {
    routes_ = makeRoutes();
}

std::vector<ApiRoute> ApiHandler::makeRoutes() {
    using R = Role;
    const std::vector<Role> anyone, editors{R::operator_, R::admin}, alerters{R::emergency, R::admin}, admins{R::admin};
    auto body = [](const ApiCall& c) {
        Json j = Json::parse(c.request.body, nullptr, false);
        if (j.is_discarded()) throw RequestError(400, "the body is not valid JSON");
        return j;
    };
    auto list = [](const auto& records) {
        Json out = Json::array();
        for (const auto& r : records)
            out.push_back(toJson(r));
        return out;
    };
    std::vector<ApiRoute> routes = {
        {"GET", "/metrics", anyone, "", false,
         [this](const ApiCall&) {
             return ApiResponse{200, "text/plain; version=0.0.4", sources_.metrics() + metricsText(), ""};
         }},
        {"GET", "/api/status", anyone, "", false, [this](const ApiCall&) { return json(200, sources_.status()); }},
        {"GET", "/api/whoami", anyone, "", false,
         [this](const ApiCall& c) {
             return json(200, {{"name", c.caller.name},
                               {"role", toString(c.caller.role)},
                               {"two_person_rule", settings_.twoPersonRule},
                               {"confirm_window_s", settings_.confirmWindowS}});
         }},
        {"GET", "/api/stations", anyone, "", false, [this](const ApiCall&) { return json(200, sources_.stations()); }},
        {"GET", "/api/schedule", anyone, "", false, [this](const ApiCall&) { return json(200, sources_.schedule()); }},
        {"GET", "/api/segments", anyone, "", false, [this](const ApiCall&) { return json(200, sources_.segments()); }},
        {"POST", "/api/segments/{id}", editors, "segment.upload", true,
         [this](const ApiCall& c) {
             const auto& q = c.request.query;
             const bool replace = q.count("replace") && q.at("replace") != "0" && q.at("replace") != "false";
             return json(201, sources_.uploadSegment(c.caller, c.id, c.request.body, replace));
         }},
        // The SDP holds the station's key: administrators only, and always audited.
        {"GET", "/api/stations/{id}/sdp", admins, "station.keys", false,
         [this](const ApiCall& c) {
             const auto sdp = sources_.stationSdp(c.id);
             store_.audit({0, 0, c.caller.name, std::string(toString(c.caller.role)), c.caller.address, "station.keys",
                           c.id, sdp ? "ok" : "unknown", "{}"});
             if (!sdp) return error(404, "no station '" + c.id + "'");
             return ApiResponse{200, "application/sdp", *sdp, ""};
         }},
        {"POST", "/api/stations/{id}/rekey", admins, "station.rekey", false,
         [this](const ApiCall& c) { return json(200, sources_.rekeyStation(c.caller, c.id)); }},
        {"GET", "/api/audit", anyone, "", false,
         [this, list](const ApiCall& c) {
             const auto& q = c.request.query;
             const size_t limit = q.count("limit") ? std::clamp<size_t>(std::stoul(q.at("limit")), 1, 1000) : 100;
             const int64_t before = q.count("before") ? std::stoll(q.at("before")) : 0;
             return json(200, list(store_.auditLog(limit, before)));
         }},
        {"GET", "/api/emergencies", anyone, "", false,
         [this, list](const ApiCall& c) {
             return json(200, list(emergencies_.list(c.request.query.count("all") == 0)));
         }},
        {"GET", "/api/emergencies/{id}", anyone, "", false,
         [this](const ApiCall& c) {
             if (const auto r = store_.emergency(c.id)) return json(200, toJson(*r));
             return error(404, "no emergency '" + c.id + "'");
         }},
        {"POST", "/api/emergencies", alerters, "emergency.trigger", false,
         [this, body](const ApiCall& c) {
             const auto r = emergencies_.trigger(c.caller, body(c));
             return json(r.state == "pending" ? 202 : 201, toJson(r));
         }},
        {"POST", "/api/emergencies/{id}/confirm", alerters, "emergency.confirm", false,
         [this](const ApiCall& c) { return json(200, toJson(emergencies_.confirm(c.caller, c.id))); }},
        {"POST", "/api/emergencies/{id}/cancel", alerters, "emergency.cancel", false,
         [this](const ApiCall& c) { return json(200, toJson(emergencies_.cancel(c.caller, c.id))); }},
        {"POST", "/api/cap", alerters, "emergency.cap", false,
         [this, list](const ApiCall& c) { return json(200, list(emergencies_.fromCap(c.caller, parseCap(c.request.body)))); }},
    };
    // Stations and schedule entries: POST /api/X adds, /api/X/ID changes, /api/X/ID/remove removes.
    for (const auto& kind : {std::tuple{std::string("/api/stations"), std::string("station"), &sources_.changeStation},
                             std::tuple{std::string("/api/schedule"), std::string("schedule"),
                                        &sources_.changeScheduleEntry}}) {
        // (named copies, not a structured binding: lambdas capture them on every compiler)
        const std::string collection = std::get<0>(kind), what = std::get<1>(kind);
        const auto change = std::get<2>(kind);
        routes.push_back({"POST", collection, editors, what + ".add", false, [change, body](const ApiCall& c) {
                              const Json j = body(c);
                              if (!j.is_object() || !j.contains("id") || !j["id"].is_string())
                                  throw RequestError(400, "expected a JSON object with an id");
                              return json(201, (*change)(c.caller, "add", j["id"], c.request.body));
                          }});
        routes.push_back({"POST", collection + "/{id}", editors, what + ".change", false, [change](const ApiCall& c) {
                              return json(200, (*change)(c.caller, "change", c.id, c.request.body));
                          }});
        routes.push_back({"POST", collection + "/{id}/remove", editors, what + ".remove", false,
                          [change](const ApiCall& c) {
                              return json(200, (*change)(c.caller, "remove", c.id, c.request.body));
                          }});
    }
    return routes;
}

namespace {
std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (size_t slash; (slash = path.find('/', start)) != std::string_view::npos; start = slash + 1)
        out.push_back(path.substr(start, slash - start));
    out.push_back(path.substr(start));
    return out;
}

/// Whether `path` fits `pattern`, segment by segment; the {id} segment's value goes to `id`.
bool matches(const std::string& pattern, const std::string& path, std::string& id) {
    const auto want = segments(pattern), got = segments(path);
    if (want.size() != got.size()) return false;
    std::string value;
    for (size_t i = 0; i < want.size(); ++i) {
        if (want[i] == "{id}") {
            if (got[i].empty()) return false;
            value = got[i];
        } else if (want[i] != got[i]) {
            return false;
        }
    }
    id = value;
    return true;
}
}  // namespace

void ApiHandler::refused(const ApiRequest& request, const std::string& reason) {
    const auto now = std::chrono::steady_clock::now();
    bool first = false;
    {
        std::lock_guard lock(failuresMutex_);
        ++refusedTotal_[reason];
        auto& logged = refusalLogged_[request.address];
        first = logged.time_since_epoch().count() == 0 || now - logged >= std::chrono::minutes(1);
        if (first) {
            logged = now;
        } else {
            ++refusedPending_[request.address][reason];
        }
    }
    if (!first) return;
    try {
        store_.audit({0, 0, "-", "-", request.address, "api.authenticate", request.method + " " + request.path,
                      "refused", Json{{"reason", reason}}.dump()});
    } catch (const StorageError& e) {  // a full disk: the refusal stands, counted in /metrics
        LOA_LOG(error, kApiHandlerTag) << "cannot audit a refusal: " << e.what();
    }
    LOA_LOG(warn, kApiHandlerTag) << request.method << " " << request.path << " from " << request.address << ": refused ("
                        << reason << "; more from this address within a minute are summarised)";
}

void ApiHandler::summarizeRefusals(std::chrono::steady_clock::time_point now) {
    std::map<std::string, std::map<std::string, uint64_t>> pending;
    {
        std::lock_guard lock(failuresMutex_);
        if (now - lastSummary_ < std::chrono::minutes(1)) return;
        lastSummary_ = now;
        pending.swap(refusedPending_);
        std::erase_if(refusalLogged_, [&](const auto& e) { return now - e.second >= std::chrono::minutes(1); });
        std::erase_if(failures_, [&](const auto& e) {
            return e.second.empty() || now - e.second.back() > kFailureWindow;
        });
    }
    if (pending.empty()) return;
    uint64_t total = 0;
    for (const auto& [address, reasons] : pending)
        for (const auto& [reason, n] : reasons)
            total += n;
    try {
        store_.audit({0, 0, "-", "-", "-", "api.authenticate", "summary", "refused", Json(pending).dump()});
    } catch (const StorageError& e) {
        LOA_LOG(error, kApiHandlerTag) << "cannot write the refusals' summary: " << e.what();
    }
    LOA_LOG(warn, kApiHandlerTag) << total << " more requests without a valid token refused in the last minute, from "
                        << pending.size() << " address(es) (see the audit log)";
}

std::string ApiHandler::metricsText() const {
    std::lock_guard lock(failuresMutex_);
    PrometheusText m;
    m.family("loa_api_refused_total", "counter", "Requests refused without a valid token, by reason.");
    for (const char* reason : {"no token", "unknown token", "expired token", "too many failures"}) {
        const auto it = refusedTotal_.find(reason);
        m.sample("loa_api_refused_total", it == refusedTotal_.end() ? uint64_t{0} : it->second, {{"reason", reason}});
    }
    return m.str();
}

std::optional<Actor> ApiHandler::authenticate(const ApiRequest& request, ApiResponse& refusal) {
    const auto now = std::chrono::steady_clock::now();
    static const std::string kBearer = "Bearer ";
    std::optional<Actor> caller;
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
                caller = Actor{t.name, t.role, request.address};
            }
        }
    }
    // A valid token is taken whoever else guessed wrong from the same address.
    if (caller) return caller;
    // A presented token that is wrong is a guess, and guesses are slowed down; a request with
    // none (a browser's own fetches, a misconfigured client) is refused but guesses nothing.
    if (!request.authorization.empty()) {
        std::unique_lock lock(failuresMutex_);
        auto& times = failures_[request.address];
        std::erase_if(times, [&](auto t) { return now - t > kFailureWindow; });
        if (static_cast<int>(times.size()) >= kFailureLimit) {
            lock.unlock();
            refused(request, "too many failures");
            refusal = error(429, "too many failed attempts from " + request.address + "; try again later");
            return std::nullopt;
        }
        times.push_back(now);
    }
    refused(request, request.authorization.empty() ? "no token" : expired ? "expired token" : "unknown token");
    refusal = error(401, expired ? "the token has expired" : "a valid bearer token is required");
    return std::nullopt;
}

int ApiHandler::bodyLimit(const ApiRoute& route) const {
    return route.upload ? settings_.maxUploadBytes : settings_.maxBodyBytes;
}

namespace {
ApiResponse tooLarge(const ApiRoute& route) {
    return error(413, route.upload ? "the file is larger than api.max_upload_bytes" : "request body too large");
}
}  // namespace

std::variant<ApiAdmission, ApiResponse> ApiHandler::admit(const ApiRequest& request) {
    // The console's address, without the path: its page asks for the token itself.
    if (request.method == "GET" && request.path == "/" && settings_.console) return ApiResponse{302, "text/plain", "", "/console/"};
    ApiResponse refusal;
    auto caller = authenticate(request, refusal);
    if (!caller) return refusal;
    ApiAdmission admission{*caller, nullptr, {}};
    bool pathKnown = false;
    for (const auto& route : routes_) {
        std::string id;
        if (!matches(route.pattern, request.path, id)) continue;
        pathKnown = true;
        if (route.method != request.method) continue;
        admission.route = &route;
        admission.id = id;
        break;
    }
    if (!admission.route) {
        if (pathKnown) return error(405, request.method + " is not allowed on " + request.path);
        return error(404, "no such endpoint: " + request.method + " " + request.path);
    }
    const auto& route = *admission.route;
    if (!route.roles.empty() && std::find(route.roles.begin(), route.roles.end(), caller->role) == route.roles.end()) {
        if (!route.action.empty()) {
            try {
                store_.audit({0, 0, caller->name, std::string(toString(caller->role)), caller->address, route.action,
                              admission.id.empty() ? "-" : admission.id, "refused", Json{{"reason", "role"}}.dump()});
            } catch (const StorageError& e) {
                LOA_LOG(error, kApiHandlerTag) << "cannot audit a refusal: " << e.what();
            }
        }
        return error(403, "the " + std::string(toString(caller->role)) + " role may not " + request.method + " " +
                              request.path);
    }
    const int64_t limit = bodyLimit(route);
    if (request.contentLength > limit || static_cast<int64_t>(request.body.size()) > limit) return tooLarge(route);
    return admission;
}

ApiResponse ApiHandler::dispatch(const ApiRequest& request, const ApiAdmission& admission) {
    const auto& route = *admission.route;
    if (static_cast<int64_t>(request.body.size()) > bodyLimit(route)) return tooLarge(route);
    try {
        return route.handle(ApiCall{request, admission.caller, admission.id});
    } catch (const RequestError& e) {
        return error(e.status(), e.what());
    } catch (const Refusal& e) {
        return error(httpStatus(e.reason()), e.what());
    } catch (const StorageError& e) {
        // Nothing is done that is not recorded first: refused, and the operator can retry.
        LOA_LOG(error, kApiHandlerTag) << request.method << " " << request.path << ": " << e.what();
        return error(503, std::string(e.what()) + "; nothing was changed, try again when it can be written");
    } catch (const std::logic_error& e) {  // std::stoul and friends on a bad query value
        return error(400, std::string("bad query value: ") + e.what());
    } catch (const std::exception& e) {
        LOA_LOG(error, kApiHandlerTag) << request.method << " " << request.path << ": " << e.what();
        return error(500, e.what());
    }
}

ApiResponse ApiHandler::handle(const ApiRequest& request) {
    auto decision = admit(request);
    if (auto* refusal = std::get_if<ApiResponse>(&decision)) return *refusal;
    return dispatch(request, std::get<ApiAdmission>(decision));
}

}  // namespace loa
