#pragma once
// The control API's HTTP(S) server (libwebsockets, one service thread): reads each request,
// hands it to the ApiHandler and writes its answer; and the event stream, a WebSocket on
// /api/events that carries the EventHub's events to every authorised client.

#include <libwebsockets.h>

#include <atomic>
#include <memory>
#include <thread>

#include "api/ApiHandler.hpp"
#include "api/EventHub.hpp"

namespace loa {

class ApiServer {
public:
    /// Binds `settings.listen` (TLS if a certificate is given); throws loa::Error if it cannot.
    ApiServer(const ApiSettings& settings, ApiHandler& handler, EventHub& events);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    void start();
    void stop();
    ApiHandler& handler() { return handler_; }
    EventHub& events() { return events_; }

private:
    ApiHandler& handler_;
    EventHub& events_;
    std::string consoleDir_;  ///< kept alive for libwebsockets' mount
    std::string iface_;
    lws_http_mount consoleMount_{};
    lws_protocol_vhost_options securityHeaders_[3]{};
    lws_context* context_ = nullptr;
    std::atomic<bool> running_{false};
    std::thread thread_;
};

}  // namespace loa
