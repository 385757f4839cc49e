"""États des lieux: room-by-room move-in and move-out inventories with photos and signatures."""
