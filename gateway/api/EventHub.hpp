#pragma once
// Events for the WebSocket stream: what changed (an emergency's state, a station online or
// offline or moved, the source on air), as JSON, handed from any thread to every connected
// client. A client too slow to keep up loses its oldest events, never the gateway's time.

#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

namespace loa {

class EventHub {
public:
    static constexpr size_t kQueueLimit = 256;

    /// Any thread: queues `event` (its "type" set by the caller) for every subscriber, with
    /// the time added, and calls the wake-up hook.
    void publish(nlohmann::json event);
    /// The transport's side: a client joins, takes its queued events, leaves.
    void subscribe(const void* client);
    void unsubscribe(const void* client);
    /// Takes the next event for `client`, if any; `dropped` counts what overflowed meanwhile.
    std::optional<std::string> next(const void* client, uint64_t& dropped);
    void setWakeUp(std::function<void()> wake);
    size_t subscribers();

private:
    struct Queue {
        std::deque<std::string> events;
        uint64_t dropped = 0;
    };
    std::mutex mutex_;
    std::unordered_map<const void*, Queue> clients_;
    std::function<void()> wake_;
};

}  // namespace loa
