package disk

func crashChild(path string) int { return 0 }

const crashChildEnv = "HITBOX_DISK_CRASH_CHILD"
