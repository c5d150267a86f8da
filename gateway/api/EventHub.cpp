#include "api/EventHub.hpp"

#include "state/StateStore.hpp"

namespace loa {

void EventHub::publish(nlohmann::json event) {
    event["time_ms"] = StateStore::nowMs();
    const std::string text = event.dump();
    std::function<void()> wake;
    {
        std::lock_guard lock(mutex_);
        if (clients_.empty()) return;
        for (auto& [client, q] : clients_) {
            if (q.events.size() >= kQueueLimit) {
                q.events.pop_front();
                ++q.dropped;
            }
            q.events.push_back(text);
        }
        wake = wake_;
    }
    if (wake) wake();
}

void EventHub::subscribe(const void* client) {
    std::lock_guard lock(mutex_);
    clients_[client];
}

void EventHub::unsubscribe(const void* client) {
    std::lock_guard lock(mutex_);
    clients_.erase(client);
}

std::optional<std::string> EventHub::next(const void* client, uint64_t& dropped) {
    std::lock_guard lock(mutex_);
    const auto it = clients_.find(client);
    if (it == clients_.end() || it->second.events.empty()) return std::nullopt;
    dropped = it->second.dropped;
    it->second.dropped = 0;
    std::string out = std::move(it->second.events.front());
    it->second.events.pop_front();
    return out;
}

void EventHub::setWakeUp(std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
}

size_t EventHub::subscribers() {
    std::lock_guard lock(mutex_);
    return clients_.size();
}

}  // namespace loa
