#include "GstRuntime.hpp"

#include <mutex>

#include "common/Error.hpp"

namespace loa::gst {

void ensureInitialised() {
    static std::once_flag once;
    std::call_once(once, [] { gst_init(nullptr, nullptr); });
}

Pipeline::Pipeline(const std::string& description) {
    ensureInitialised();
    GError* error = nullptr;
    GstElement* p = gst_parse_launch(description.c_str(), &error);
    if (error) {
        const std::string message = error->message;
        g_error_free(error);
        if (p) gst_object_unref(p);
        throw Error("GStreamer pipeline '" + description + "': " + message);
    }
    pipeline_.reset(p);
}

Pipeline::~Pipeline() {
    if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

GstElement* Pipeline::element(const char* name) const {
    GstElement* e = gst_bin_get_by_name(GST_BIN(pipeline_.get()), name);
    if (!e) throw Error(std::string("GStreamer pipeline has no element named ") + name);
    gst_object_unref(e);  // the bin keeps its own reference
    return e;
}

void Pipeline::play() {
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        std::string error = takeError();
        throw Error("GStreamer pipeline failed to start" + (error.empty() ? std::string() : ": " + error));
    }
}

std::string Pipeline::takeError() {
    std::unique_ptr<GstBus, ObjectUnref> bus(gst_element_get_bus(pipeline_.get()));
    MessagePtr msg(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
    if (!msg) return {};
    GError* error = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(msg.get(), &error, &debug);
    std::string text = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    g_free(debug);
    return text;
}

}  // namespace loa::gst
