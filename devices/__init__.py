"""Serial devices at counters and gates: barcode/QR and passport MRZ readers, gate barriers (relay board,
Modbus RTU, ASCII), X-ray scanner results (serial or drop folder) and e-seal readers.

    from devices.config import parse_device_configs
    from devices.manager import DeviceManager

    manager = DeviceManager(parse_device_configs(raw_list), on_event, on_command)
    manager.start(); ...; manager.stop()

Layers: framing.py (bytes → frames, pure) → one driver per kind (frames → events.py dataclasses) →
manager.py (threads, reconnect, health, barrier commands). sim/ holds pty simulators for tests and the demo.
No Textual and no database here: screens wrap events in messages, services write the audit trail.
"""
