#pragma once
// Metrics in the Prometheus text format (0.0.4): each family once with its HELP and TYPE,
// then its samples; label values escaped. What /metrics serves is built with this.

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace loa {

class PrometheusText {
public:
    using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

    /// Starts family `name` (counter or gauge) with what it measures.
    PrometheusText& family(std::string_view name, std::string_view type, std::string_view help);
    /// One sample of the family last started (its name, or name_suffix for the same family).
    PrometheusText& sample(std::string_view name, double value, Labels labels = {});
    template <std::integral T>
    PrometheusText& sample(std::string_view name, T value, Labels labels = {}) {
        head(name, labels);
        out_.append(std::to_string(value)).append("\n");
        return *this;
    }
    /// A family of one unlabelled sample.
    template <class T>
    PrometheusText& single(std::string_view name, std::string_view type, std::string_view help, T value) {
        return family(name, type, help).sample(name, value);
    }
    const std::string& str() const { return out_; }

private:
    void head(std::string_view name, Labels labels);
    std::string out_;
};

}  // namespace loa
