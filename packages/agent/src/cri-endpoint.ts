/** Where containerd serves CRI on a standard install; k3s and others move it (--cri-endpoint). */
export const DEFAULT_CRI_ENDPOINT = "unix:///run/containerd/containerd.sock";
