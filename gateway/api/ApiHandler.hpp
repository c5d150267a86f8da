#pragma once
// The control API's requests and answers, apart from the HTTP server that carries them (so
// they are tested directly): bearer tokens checked in constant time against their SHA-256,
// roles, a slow-down for addresses that keep failing, and the routes.

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "control/EmergencyManager.hpp"
#include "settings/Settings.hpp"
#include "state/StateStore.hpp"

namespace loa {

struct ApiRequest {
    std::string method;  ///< GET or POST
    std::string path;    ///< without the query
    std::map<std::string, std::string> query;
    std::string authorization;  ///< the Authorization header
    std::string address;        ///< the peer's address
    std::string body;
};

struct ApiResponse {
    int status = 200;
    std::string contentType = "application/json";
    std::string body;
    std::string location;  ///< for a redirect
};

/// What the API reads from the running gateway.
struct ApiSources {
    std::function<nlohmann::json()> status;
    std::function<nlohmann::json()> stations;
    std::function<std::string()> metrics;                                      ///< Prometheus text
    std::function<std::optional<std::string>(const std::string&)> stationSdp;  ///< with its key
    std::function<nlohmann::json()> schedule;
    /// add, change or remove a station (body: the station as JSON); throws RequestError.
    std::function<nlohmann::json(const Caller&, const std::string&, const std::string&, const std::string&)>
        changeStation;
    /// the same for a schedule entry
    std::function<nlohmann::json(const Caller&, const std::string&, const std::string&, const std::string&)>
        changeScheduleEntry;
    /// stores an uploaded segment file under its name (throws RequestError); returns its record
    std::function<nlohmann::json(const Caller&, const std::string&, const std::string&)> uploadSegment;
    /// the segment files that schedule entries may name
    std::function<nlohmann::json()> segments;
    /// gives a station a new key epoch (admin; throws RequestError); returns its new SDP
    std::function<nlohmann::json(const Caller&, const std::string&)> rekeyStation;
};

class ApiHandler {
public:
    /// Failed authentications from one address within this window...
    static constexpr auto kFailureWindow = std::chrono::seconds(60);
    /// ...beyond this count make it wait until the window has passed.
    static constexpr int kFailureLimit = 5;

    ApiHandler(const ApiSettings& settings, EmergencyManager& emergencies, StateStore& store, ApiSources sources);

    ApiResponse handle(const ApiRequest& request);
    /// Checks a request's token (for the WebSocket event stream's upgrade request): the caller,
    /// or nullopt with the refusal to send.
    std::optional<Caller> authorize(const ApiRequest& request, ApiResponse& refusal) {
        return authenticate(request, refusal);
    }

    /// Splits "a=1&b=2" into a map (no decoding beyond '+' and %XX).
    static std::map<std::string, std::string> parseQuery(const std::string& query);
    /// The longest request body taken for `path`: uploads have their own limit.
    int maxBodyBytes(const std::string& path) const;

private:
    std::optional<Caller> authenticate(const ApiRequest& request, ApiResponse& refusal);
    ApiResponse route(const ApiRequest& request, const Caller& caller);

    ApiSettings settings_;
    EmergencyManager& emergencies_;
    StateStore& store_;
    ApiSources sources_;
    std::mutex failuresMutex_;
    std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> failures_;
};

/// The SHA-256 of a bearer token, as the config stores it.
std::array<uint8_t, 32> tokenHash(const std::string& token);

}  // namespace loa
