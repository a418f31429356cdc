// Arrow IPC file and stream format (to be written in this module).
