#include "api/ApiServer.hpp"

#include <libwebsockets.h>

#include <cstdlib>
#include <cstring>
#include <variant>

#include "common/Log.hpp"

namespace loa {
namespace {
constexpr std::string_view kApiServerTag = "api";

/// One HTTP transaction: the request as it arrives, then the answer waiting to be written.
struct Session {
    ApiRequest request;
    std::optional<ApiAdmission> admission;  ///< its headers passed; the body is being read
    ApiResponse response;
    bool answered = false;
    bool written = false;     ///< the answer's body is out too
    bool closeAfter = false;  ///< answered before its body was read: the connection cannot be reused
    size_t discarded = 0;     ///< body bytes of a refused request, read and dropped
};

/// Of a refused request's body, this much is read and dropped (so that its client reads the
/// refusal instead of a reset) before the connection is closed.
constexpr size_t kDiscardLimit = 1 << 20;

/// Never lets an exception cross libwebsockets' C frames: a 500 instead.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const std::exception& e) {
        LOA_LOG(error, kApiServerTag) << "request failed: " << e.what();
        return ApiResponse{500, "application/json", "{\"error\": \"internal error\"}\n", ""};
    }
}

struct PerSession {
    Session* session;
};

std::string header(struct lws* wsi, lws_token_indexes token) {
    const int n = lws_hdr_total_length(wsi, token);
    if (n <= 0) return {};
    std::string out(static_cast<size_t>(n) + 1, '\0');
    if (lws_hdr_copy(wsi, out.data(), n + 1, token) < 0) return {};
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string queryOf(struct lws* wsi) {
    std::string query;
    char buf[512];
    for (int i = 0; lws_hdr_copy_fragment(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_URI_ARGS, i) > 0; ++i) {
        if (!query.empty()) query.push_back('&');
        query.append(buf);
    }
    return query;
}

/// Answers with s.response: headers now, the body when the connection is writable.
int answer(struct lws* wsi, Session& s) {
    s.answered = true;
    uint8_t buffer[LWS_PRE + 1024];
    uint8_t *start = buffer + LWS_PRE, *p = start, *end = buffer + sizeof buffer - 1;
    if (lws_add_http_common_headers(wsi, static_cast<unsigned>(s.response.status), s.response.contentType.c_str(),
                                    s.response.body.size(), &p, end) ||
        lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("cache-control:"),
                                    reinterpret_cast<const unsigned char*>("no-store"), 8, &p, end) ||
        (!s.response.location.empty() &&
         lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("location:"),
                                     reinterpret_cast<const unsigned char*>(s.response.location.data()),
                                     static_cast<int>(s.response.location.size()), &p, end)) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

int callback(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in, size_t len) {
    auto* pss = static_cast<PerSession*>(user);
    auto* server = wsi ? static_cast<ApiServer*>(lws_context_user(lws_get_context(wsi))) : nullptr;
    switch (reason) {
        case LWS_CALLBACK_HTTP: {
            delete pss->session;
            pss->session = new Session;
            auto& r = pss->session->request;
            const bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
            r.method = post ? "POST" : lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0 ? "GET" : "OTHER";
            r.path = std::string(static_cast<const char*>(in), len);
            r.query = ApiHandler::parseQuery(queryOf(wsi));
            r.authorization = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
            char peer[128] = {};
            lws_get_peer_simple(wsi, peer, sizeof peer);
            r.address = peer;
            const std::string length = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
            r.contentLength = length.empty() ? -1 : std::strtoll(length.c_str(), nullptr, 10);
            // The token, the route, the role and the declared length are checked on the
            // headers: a refused request's body is never read.
            auto decision = guarded([&] { return server->handler().admit(r); });
            if (auto* refusal = std::get_if<ApiResponse>(&decision)) {
                pss->session->response = std::move(*refusal);
                if (!(post && r.contentLength > 0)) return answer(wsi, *pss->session);
                // A body is on its way and will not be kept: the refusal is written now, whole
                // (it is short); what arrives of the body is dropped, and the connection closed
                // once it is all in or past kDiscardLimit.
                pss->session->closeAfter = true;
                if (answer(wsi, *pss->session) != 0) return -1;
                const auto& body = pss->session->response.body;
                std::vector<uint8_t> buffer(LWS_PRE + body.size());
                std::memcpy(buffer.data() + LWS_PRE, body.data(), body.size());
                if (lws_write(wsi, buffer.data() + LWS_PRE, body.size(), LWS_WRITE_HTTP_FINAL) !=
                    static_cast<int>(body.size()))
                    return -1;
                pss->session->written = true;
                return 0;
            }
            pss->session->admission = std::move(std::get<ApiAdmission>(decision));
            // With a Content-Length (even 0) libwebsockets reports the body's completion next.
            if (post && !length.empty()) return 0;
            pss->session->response = guarded([&] { return server->handler().dispatch(r, *pss->session->admission); });
            return answer(wsi, *pss->session);
        }
        case LWS_CALLBACK_HTTP_BODY:
            if (!pss->session) return 0;
            if (pss->session->answered) {
                pss->session->discarded += len;
                return pss->session->discarded > kDiscardLimit ? -1 : 0;
            }
            if (pss->session->admission &&
                static_cast<int>(pss->session->request.body.size()) <=
                    server->handler().bodyLimit(*pss->session->admission->route))
                pss->session->request.body.append(static_cast<const char*>(in), len);
            return 0;
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            if (!pss->session) return 1;
            if (pss->session->answered) return pss->session->closeAfter ? -1 : 0;
            pss->session->response =
                guarded([&] { return server->handler().dispatch(pss->session->request, *pss->session->admission); });
            return answer(wsi, *pss->session);
        case LWS_CALLBACK_HTTP_WRITEABLE: {
            if (!pss->session || !pss->session->answered || pss->session->written) return 0;
            const auto& body = pss->session->response.body;
            std::vector<uint8_t> buffer(LWS_PRE + body.size());
            std::memcpy(buffer.data() + LWS_PRE, body.data(), body.size());
            if (lws_write(wsi, buffer.data() + LWS_PRE, body.size(), LWS_WRITE_HTTP_FINAL) !=
                static_cast<int>(body.size()))
                return 1;
            const bool close = pss->session->closeAfter;
            delete pss->session;
            pss->session = nullptr;
            if (close) return -1;
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        case LWS_CALLBACK_CLOSED_HTTP:
            if (pss) {
                delete pss->session;
                pss->session = nullptr;
            }
            return 0;
        // The event stream: a WebSocket on /api/events, for a valid token (header, or ?token=).
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
            ApiRequest r;
            r.method = "GET";
            r.path = header(wsi, WSI_TOKEN_GET_URI);
            r.query = ApiHandler::parseQuery(queryOf(wsi));
            r.authorization = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
            if (r.authorization.empty() && r.query.count("token")) r.authorization = "Bearer " + r.query.at("token");
            char peer[128] = {};
            lws_get_peer_simple(wsi, peer, sizeof peer);
            r.address = peer;
            ApiResponse refusal;
            if (r.path != "/api/events") return 1;
            return server->handler().authorize(r, refusal) ? 0 : 1;
        }
        case LWS_CALLBACK_ESTABLISHED:
            server->events().subscribe(wsi);
            return 0;
        case LWS_CALLBACK_CLOSED:
            server->events().unsubscribe(wsi);
            return 0;
        case LWS_CALLBACK_RECEIVE:
            return 0;  // clients only listen
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            lws_callback_on_writable_all_protocol(lws_get_context(wsi), lws_get_protocol(wsi));
            return 0;
        case LWS_CALLBACK_SERVER_WRITEABLE: {
            uint64_t dropped = 0;
            auto event = server->events().next(wsi, dropped);
            if (!event) return 0;
            if (dropped) event->insert(0, "{\"type\":\"dropped\",\"count\":" + std::to_string(dropped) + "}\n");
            std::vector<uint8_t> buffer(LWS_PRE + event->size());
            std::memcpy(buffer.data() + LWS_PRE, event->data(), event->size());
            if (lws_write(wsi, buffer.data() + LWS_PRE, event->size(), LWS_WRITE_TEXT) <
                static_cast<int>(event->size()))
                return -1;
            lws_callback_on_writable(wsi);  // there may be more
            return 0;
        }
        default:
            break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const lws_protocols kProtocols[] = {
    {"loa-api", callback, sizeof(PerSession), 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

void logFromLws(int level, const char* line) {
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    if (level & LLL_ERR) {
        LOA_LOG(error, kApiServerTag) << text;
    } else {
        LOA_LOG(debug, kApiServerTag) << text;
    }
}
}  // namespace

ApiServer::ApiServer(const ApiSettings& settings, ApiHandler& handler, EventHub& events)
    : handler_(handler),
      events_(events),
      consoleDir_(settings.console ? settings.console->string() : ""),
      iface_(settings.listen.toString()) {
    lws_set_log_level(LLL_ERR | LLL_WARN, logFromLws);
    const auto colon = iface_.rfind(':');
    std::string host = iface_.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    lws_context_creation_info info{};
    info.port = settings.listen.port();
    info.iface = host.c_str();
    info.protocols = kProtocols;
    info.user = this;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (settings.listen.family() == AF_INET);
    // The operator console: its static files under /console/ (libwebsockets serves them and
    // refuses paths that leave the directory); the API stays with the callback.
    if (!consoleDir_.empty()) {
        consoleMount_.mountpoint = "/console";
        consoleMount_.mountpoint_len = static_cast<unsigned char>(std::strlen(consoleMount_.mountpoint));
        consoleMount_.origin = consoleDir_.c_str();
        consoleMount_.def = "index.html";
        consoleMount_.origin_protocol = LWSMPRO_FILE;
        consoleMount_.cache_max_age = 0;
        info.mounts = &consoleMount_;
    }
    // Every answer: no framing, no sniffing, no referrer; the console runs only its own code.
    const std::pair<const char*, const char*> headers[] = {
        {"content-security-policy:",
         "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
         "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
        {"x-content-type-options:", "nosniff"},
        {"referrer-policy:", "no-referrer"},
    };
    static_assert(sizeof headers / sizeof headers[0] == sizeof securityHeaders_ / sizeof securityHeaders_[0]);
    for (size_t i = 0; i < std::size(headers); ++i) {
        securityHeaders_[i].name = headers[i].first;
        securityHeaders_[i].value = headers[i].second;
        securityHeaders_[i].next = i + 1 < std::size(headers) ? &securityHeaders_[i + 1] : nullptr;
    }
    info.headers = securityHeaders_;
    const std::string cert = settings.certificate ? settings.certificate->string() : "";
    const std::string key = settings.privateKey ? settings.privateKey->string() : "";
    if (settings.certificate) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cert.c_str();
        info.ssl_private_key_filepath = key.c_str();
    }
    context_ = lws_create_context(&info);
    if (!context_) throw Error("cannot serve the control API on " + iface_ + " (address in use, or a bad TLS file?)");
    events_.setWakeUp([context = context_] { lws_cancel_service(context); });
}

ApiServer::~ApiServer() {
    stop();
    if (context_) lws_context_destroy(context_);
}

void ApiServer::start() {
    running_ = true;
    thread_ = std::thread([this] {
        while (running_)
            lws_service(context_, 0);
    });
    LOA_LOG(info, kApiServerTag) << "control API on " << iface_;
}

void ApiServer::stop() {
    events_.setWakeUp({});
    running_ = false;
    if (context_) lws_cancel_service(context_);
    if (thread_.joinable()) thread_.join();
}

}  // namespace loa
