#pragma once
// The control API's requests and answers, apart from the HTTP server that carries them (so
// they are tested directly): bearer tokens checked in constant time against their SHA-256, a
// slow-down for addresses that keep failing, and the route table, which alone decides which
// role may call what. Called on the API's thread (ApiServer), one request at a time.

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "api/ApiOptions.hpp"
#include "api/RequestError.hpp"
#include "control/EmergencyManager.hpp"
#include "state/StateStore.hpp"

namespace loa {

struct ApiRequest {
    std::string method;  ///< GET or POST
    std::string path;    ///< without the query
    std::map<std::string, std::string> query;
    std::string authorization;  ///< the Authorization header
    std::string address;        ///< the peer's address
    int64_t contentLength = -1;  ///< the Content-Length header (-1: none); known before the body
    std::string body;
};

struct ApiResponse {
    int status = 200;
    std::string contentType = "application/json";
    std::string body;
    std::string location;  ///< for a redirect
};

/// What the API reads from and asks of the running gateway. Filled by name.
struct ApiSources {
    std::function<nlohmann::json()> status;
    std::function<nlohmann::json()> stations;
    std::function<std::string()> metrics;                                      ///< Prometheus text
    std::function<std::optional<std::string>(const std::string&)> stationSdp;  ///< with its key
    std::function<nlohmann::json()> schedule;
    /// add, change or remove a station (body: the station as JSON); throws RequestError.
    std::function<nlohmann::json(const Actor&, const std::string&, const std::string&, const std::string&)>
        changeStation;
    /// the same for a schedule entry
    std::function<nlohmann::json(const Actor&, const std::string&, const std::string&, const std::string&)>
        changeScheduleEntry;
    /// stores an uploaded segment file under its name (throws RequestError; 409 if it exists and
    /// `replace` is false); returns its record
    std::function<nlohmann::json(const Actor&, const std::string&, const std::string&, bool replace)> uploadSegment;
    /// the segment files that schedule entries may name
    std::function<nlohmann::json()> segments;
    /// gives a station a new key epoch; returns its new SDP
    std::function<nlohmann::json(const Actor&, const std::string&)> rekeyStation;
};

/// One request, admitted: who asks, and the route's {id} (empty if it has none).
struct ApiCall {
    const ApiRequest& request;
    const Actor& caller;
    const std::string& id;
};

/// One endpoint. The table of them is the API: who may call what is decided here, from the
/// request's headers, before its body is read.
struct ApiRoute {
    std::string method;          ///< GET or POST
    std::string pattern;         ///< e.g. "/api/stations/{id}/sdp"; {id} is one non-empty path segment
    std::vector<Role> roles;     ///< who may call it; empty: every role
    std::string action;          ///< what a refusal is audited as ("station.keys"); empty: not audited
    bool upload = false;         ///< its body may be api.max_upload_bytes (else api.max_body_bytes)
    std::function<ApiResponse(const ApiCall&)> handle;
};

/// A request whose headers passed: the caller, and the route that will answer once the body is in.
struct ApiAdmission {
    Actor caller;
    const ApiRoute* route = nullptr;
    std::string id;
};

class ApiHandler {
public:
    /// Failed authentications from one address within this window...
    static constexpr auto kFailureWindow = std::chrono::seconds(60);
    /// ...beyond this count are refused with 429 unread (a valid token is still taken: see
    /// docs/api.md, the token's 256 bits and not this limit are what make guessing futile).
    static constexpr int kFailureLimit = 5;

    ApiHandler(const ApiSettings& settings, EmergencyManager& emergencies, StateStore& store, ApiSources sources);

    /// Decides on a request from its headers alone (method, path, query, token, Content-Length):
    /// the admission, or the refusal to send without reading the body.
    std::variant<ApiAdmission, ApiResponse> admit(const ApiRequest& request);
    /// Answers an admitted request, its body read.
    ApiResponse dispatch(const ApiRequest& request, const ApiAdmission& admission);
    /// admit, then dispatch.
    ApiResponse handle(const ApiRequest& request);
    /// Checks a request's token (for the WebSocket event stream's upgrade request): the caller,
    /// or nullopt with the refusal to send.
    std::optional<Actor> authorize(const ApiRequest& request, ApiResponse& refusal) {
        return authenticate(request, refusal);
    }
    const std::vector<ApiRoute>& routes() const { return routes_; }

    /// Splits "a=1&b=2" into a map (no decoding beyond '+' and %XX).
    static std::map<std::string, std::string> parseQuery(const std::string& query);
    /// The longest request body `route` takes: uploads have their own limit.
    int bodyLimit(const ApiRoute& route) const;

    /// Requests refused without a valid token are counted, not audited one by one: the first
    /// from an address in a minute is logged and audited at once, the rest in one summary row
    /// per minute, written by this call (the gateway's control thread calls it every second).
    void summarizeRefusals(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
    /// Prometheus lines of the API's own counters.
    std::string metricsText() const;

private:
    std::optional<Actor> authenticate(const ApiRequest& request, ApiResponse& refusal);
    void refused(const ApiRequest& request, const std::string& reason);
    std::vector<ApiRoute> makeRoutes();

    ApiSettings settings_;
    EmergencyManager& emergencies_;
    StateStore& store_;
    ApiSources sources_;
    std::vector<ApiRoute> routes_;
    mutable std::mutex failuresMutex_;
    std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> failures_;
    /// Refusals without a valid token: by reason since start, and by address and reason since
    /// the last summary.
    std::map<std::string, uint64_t> refusedTotal_;
    std::map<std::string, std::map<std::string, uint64_t>> refusedPending_;
    std::map<std::string, std::chrono::steady_clock::time_point> refusalLogged_;
    std::chrono::steady_clock::time_point lastSummary_ = std::chrono::steady_clock::now();
};

/// The SHA-256 of a bearer token, as the config stores it.
std::array<uint8_t, 32> tokenHash(const std::string& token);

}  // namespace loa
