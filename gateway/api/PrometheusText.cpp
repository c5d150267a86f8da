#include "api/PrometheusText.hpp"

#include <cmath>
#include <cstdio>

namespace loa {

PrometheusText& PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ");
    for (const char c : help) {  // HELP escapes backslash and newline
        if (c == '\\')
            out_ += "\\\\";
        else if (c == '\n')
            out_ += "\\n";
        else
            out_ += c;
    }
    out_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
    return *this;
}

void PrometheusText::head(std::string_view name, Labels labels) {
    out_.append(name);
    if (labels.size() == 0) {
        out_ += ' ';
        return;
    }
    out_ += '{';
    bool first = true;
    for (const auto& [key, value] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_.append(key).append("=\"");
        for (const char c : value) {  // label values escape backslash, quote and newline
            if (c == '\\')
                out_ += "\\\\";
            else if (c == '"')
                out_ += "\\\"";
            else if (c == '\n')
                out_ += "\\n";
            else
                out_ += c;
        }
        out_ += '"';
    }
    out_ += "} ";
}

PrometheusText& PrometheusText::sample(std::string_view name, double value, Labels labels) {
    head(name, labels);
    if (std::isnan(value)) {
        out_ += "NaN\n";
    } else if (std::isinf(value)) {
        out_ += value > 0 ? "+Inf\n" : "-Inf\n";
    } else {
        char text[32];
        std::snprintf(text, sizeof text, "%.15g", value);
        out_.append(text).append("\n");
    }
    return *this;
}

}  // namespace loa
