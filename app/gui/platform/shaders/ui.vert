// The workstation's ImGui vertices: ImGui pixel coordinates → clip space
// through a scale and a translation (push constants, set per draw list).
#version 450

layout(location = 0) in vec2 in_position;  // ImGui pixels
layout(location = 1) in vec2 in_uv;
layout(location = 2) in vec4 in_color;     // R8G8B8A8_UNORM, straight alpha

layout(push_constant) uniform Transform {
    vec2 scale;
    vec2 translate;
} transform;

layout(location = 0) out vec4 frag_color;
layout(location = 1) out vec2 frag_uv;

void main() {
    frag_color = in_color;
    frag_uv = in_uv;
    gl_Position = vec4(in_position * transform.scale + transform.translate, 0.0, 1.0);
}
